"""scikit-learn at the edges of training: sparse matrices from feature dicts, logistic regressions,
fixed out-of-fold folds by outlet-day, a small grid of C, and export to :class:`LinearModel`.

scikit-learn is imported inside the functions: the package (and the enricher) never needs it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .linear import LinearModel, from_rows, top_label

FOLDS = 5
MIN_FEATURE_COUNT = 2
C_GRID = (0.1, 0.3, 1.0, 3.0)


def vocabulary(rows: Iterable[Mapping[str, float]]) -> list[str]:
    counts: Counter = Counter()
    for row in rows:
        counts.update(row.keys())
    return sorted(name for name, count in counts.items() if count >= MIN_FEATURE_COUNT)


def matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]):
    from scipy.sparse import csr_matrix

    index = {name: i for i, name in enumerate(names)}
    data, cols, indptr = [], [], [0]
    for row in rows:
        for name in sorted(row):
            col = index.get(name)
            if col is not None and row[name]:
                cols.append(col)
                data.append(float(row[name]))
        indptr.append(len(cols))
    return csr_matrix((data, cols, indptr), shape=(len(rows), len(names)))


def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[str], c: float, balanced: bool = True):
    from sklearn.linear_model import LogisticRegression

    names = vocabulary(rows)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit(matrix(rows, names), list(labels))
    return model, names


def proba(fitted, rows: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
    model, names = fitted
    probs = model.predict_proba(matrix(rows, names))
    return [dict(zip(model.classes_, map(float, p), strict=True)) for p in probs]


def group_folds(groups: Sequence[str]) -> list[list[int]]:
    """Indices of each fold: whole outlet-day groups, assigned by a hash so the folds never change."""
    folds: list[list[int]] = [[] for _ in range(FOLDS)]
    for i, group in enumerate(groups):
        folds[int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS].append(i)
    return [f for f in folds if f]


def out_of_fold(rows, labels, groups, c, balanced=True) -> list[dict[str, float]]:
    out: list[dict[str, float]] = [{} for _ in rows]
    for held in group_folds(groups):
        held_set = set(held)
        train = [i for i in range(len(rows)) if i not in held_set]
        if len(set(labels[i] for i in train)) < 2:
            continue
        fitted = fit([rows[i] for i in train], [labels[i] for i in train], c, balanced)
        for i, p in zip(held, proba(fitted, [rows[i] for i in held]), strict=True):
            out[i] = p
    return out


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def choose_c(rows, labels, groups, balanced=True) -> float:
    """The C of the grid with the best out-of-fold macro-F1 (ties: the smaller, more regular C)."""
    best, best_c = -1.0, C_GRID[0]
    for c in C_GRID:
        probs = out_of_fold(rows, labels, groups, c, balanced)
        predicted = [top_label(p) if p else "" for p in probs]
        score = macro_f1(labels, predicted)
        if score > best + 1e-9:
            best, best_c = score, c
    return best_c


def export(fitted, kind: str = "softmax", meta: Mapping[str, Any] | None = None) -> LinearModel:
    model, names = fitted
    classes = [str(c) for c in model.classes_]
    coef = model.coef_.tolist()
    intercept = model.intercept_.tolist()
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: P(second) = sigmoid(row)
        coef = [[-w for w in coef[0]], coef[0]]
        intercept = [-intercept[0] / 2, intercept[0] / 2]
        coef = [[w / 2 for w in row] for row in coef]
    return from_rows(kind, classes, names, coef, intercept, meta=meta)


def out_of_fold_for(rows, labels, groups, all_rows, all_groups, c) -> list[dict[str, float]]:
    """Probabilities for ``all_rows`` from models that never saw their outlet-day group."""
    out: list[dict[str, float]] = [{} for _ in all_rows]
    for held in group_folds(all_groups):
        held_groups = {all_groups[i] for i in held}
        train = [i for i, g in enumerate(groups) if g not in held_groups]
        fitted = fit([rows[i] for i in train], [labels[i] for i in train], c)
        for i, p in zip(held, proba(fitted, [all_rows[i] for i in held]), strict=True):
            out[i] = p
    return out


def micro_f1(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_threshold(scores: Sequence[tuple[float, bool]]) -> float:
    """The probability cut with the best F1 over out-of-fold yes/no decisions."""
    best, best_t = -1.0, 0.5
    for step in range(10, 91, 5):
        f1 = f1_at(scores, step / 100)
        if f1 > best + 1e-9:
            best, best_t = f1, step / 100
    return best_t


def f1_at(scores: Sequence[tuple[float, bool]], threshold: float) -> float:
    tp = sum(1 for p, g in scores if p >= threshold and g)
    fp = sum(1 for p, g in scores if p >= threshold and not g)
    fn = sum(1 for p, g in scores if p < threshold and g)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
