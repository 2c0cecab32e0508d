"""Linear classifiers as plain data: a feature vocabulary, a weight row per class, and a bias.

Models are trained with scikit-learn (``mediawatch.learn.train``) but shipped and applied without
it: a JSON file, read once, and a dot product per example. That keeps scikit-learn out of the
enricher's start-up and makes the shipped file the whole model (weights rounded to ``DIGITS``
decimals, keys sorted, so that training twice writes the same bytes).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIGITS = 5


def top_label(probabilities: Mapping[str, float]) -> str:
    """The most probable label (the first of equals, in the mapping's order)."""
    return max(probabilities, key=lambda label: probabilities[label])


@dataclass(frozen=True)
class LinearModel:
    """``kind`` "softmax": one row per class, probabilities sum to 1; "sigmoid": one independent
    yes/no row per class (multi-label), each with its own threshold."""

    kind: str
    classes: tuple[str, ...]
    vocabulary: Mapping[str, int]
    weights: tuple[tuple[float, ...], ...]  # [feature][class]
    bias: tuple[float, ...]
    thresholds: tuple[float, ...] = ()
    meta: Mapping[str, Any] | None = None

    def scores(self, features: Mapping[str, float]) -> list[float]:
        totals = list(self.bias)
        for name, value in features.items():
            row = self.vocabulary.get(name)
            if row is not None and value:
                for c, weight in enumerate(self.weights[row]):
                    totals[c] += weight * value
        return totals

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        scores = self.scores(features)
        if self.kind == "sigmoid":
            return {c: 1.0 / (1.0 + math.exp(-s)) for c, s in zip(self.classes, scores, strict=True)}
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def predict(self, features: Mapping[str, float]) -> str:
        return top_label(self.probabilities(features))

    def predict_labels(self, features: Mapping[str, float]) -> list[str]:
        """Multi-label decision: every class whose probability reaches its threshold."""
        probs = self.probabilities(features)
        return [c for c, t in zip(self.classes, self.thresholds, strict=True) if probs[c] >= t]

    def to_json(self) -> str:
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        body = {
            "kind": self.kind,
            "classes": list(self.classes),
            "bias": [round(b, DIGITS) for b in self.bias],
            "thresholds": [round(t, DIGITS) for t in self.thresholds],
            "meta": dict(self.meta or {}),
            "features": {name: [round(w, DIGITS) for w in self.weights[self.vocabulary[name]]]
                         for name in names},
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        body = json.loads(text)
        names = list(body["features"])
        return cls(
            kind=body["kind"],
            classes=tuple(body["classes"]),
            vocabulary={name: i for i, name in enumerate(names)},
            weights=tuple(tuple(body["features"][name]) for name in names),
            bias=tuple(body["bias"]),
            thresholds=tuple(body.get("thresholds", ())),
            meta=body.get("meta") or {},
        )

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def from_rows(kind: str, classes: Sequence[str], names: Sequence[str], coef: Sequence[Sequence[float]],
              intercept: Sequence[float], thresholds: Sequence[float] = (), meta: Mapping[str, Any] | None = None,
              ) -> LinearModel:
    """Build a model from scikit-learn's ``coef_`` ([class][feature]), dropping all-zero features."""
    columns = list(zip(*coef, strict=True)) if coef else []
    kept = [(name, tuple(float(w) for w in column)) for name, column in zip(names, columns, strict=True)
            if any(round(w, DIGITS) for w in column)]
    return LinearModel(
        kind=kind,
        classes=tuple(classes),
        vocabulary={name: i for i, (name, _) in enumerate(kept)},
        weights=tuple(row for _, row in kept),
        bias=tuple(float(b) for b in intercept),
        thresholds=tuple(float(t) for t in thresholds),
        meta=meta,
    )
