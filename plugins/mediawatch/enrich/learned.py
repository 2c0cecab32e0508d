"""The learned tone, sentiment and topic models shipped in ``enrich/trained/`` (built by ``make train``).

Tone is target-aware and sentence-first: every sentence that mentions a side is classified
(negative / neutral / positive / none, "none" when the mention is not the side's state), and the
article's tone toward the side is a second small model over those sentence probabilities. The
numeric tone is the mean of P(positive) − P(negative) over the side's sentences, weighted by how
surely each one is about the side. Sentiment and topics are classifiers over the article's words,
its lexicon score and the tone summary; topics also take the keyword rules as features.

When a model file is missing the enricher keeps the lexicon method for that part and says so once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mediawatch.learn.features import (
    aggregate_features,
    article_tone_features,
    document_features,
    sentence_features,
    side_sentences,
    topic_features,
)
from mediawatch.learn.linear import LinearModel

from .entities import EntityMatches
from .models import say_once
from .textnorm import Doc

LOG = logging.getLogger(__name__)
TRAINED_DIR = Path(__file__).resolve().parent / "trained"
LANGUAGES = ("ar", "ru", "en")
MODEL_REVISION = "learned-v1"
# A side whose mentions the sentence model reads, on average, as more likely not the side's state
# (a place, refugees, the opposition) than the state has no tone: null, as when never mentioned.
NONE_SHARE = 0.5


@dataclass(frozen=True)
class SideTone:
    label: str | None
    score: float | None
    summary: Mapping[str, float]


@dataclass(frozen=True)
class LearnedModels:
    tone: Mapping[str, LinearModel]          # language -> sentence tone model
    article_tone: LinearModel                # sentence probabilities -> article tone
    sentiment: LinearModel
    topics: LinearModel
    fingerprint: str

    @classmethod
    def load(cls, folder: Path = TRAINED_DIR) -> LearnedModels | None:
        names = [f"tone-{lang}.json" for lang in LANGUAGES] + ["article-tone.json", "sentiment.json", "topics.json"]
        paths = [folder / name for name in names]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            say_once(f"learned models missing in {folder} ({', '.join(missing)}); using the lexicon method",
                     logging.WARNING)
            return None
        digest = hashlib.sha256()
        for path in paths:
            digest.update(path.read_bytes())
        return cls(
            tone={lang: LinearModel.load(folder / f"tone-{lang}.json") for lang in LANGUAGES},
            article_tone=LinearModel.load(folder / "article-tone.json"),
            sentiment=LinearModel.load(folder / "sentiment.json"),
            topics=LinearModel.load(folder / "topics.json"),
            fingerprint=digest.hexdigest()[:8],
        )

    def method(self, part: str, language: str) -> str:
        return f"{MODEL_REVISION}-{part}-{language}"

    def sentence_tones(self, doc: Doc, matches: EntityMatches, side: frozenset[str], other: frozenset[str],
                       lexicon_scores: Sequence[float], language: str) -> list[dict[str, float]]:
        """Class probabilities of each sentence mentioning ``side``, in document order."""
        model = self.tone[language]
        return [model.probabilities(sentence_features(doc, s, _at(lexicon_scores, s.number),
                                                      s.number < doc.title_sentences))
                for s in side_sentences(doc, matches, side, other)]

    def side_tone(self, doc: Doc, matches: EntityMatches, name: str, side: frozenset[str], other: frozenset[str],
                  lexicon_scores: Sequence[float], language: str) -> SideTone:
        """Tone toward the side ``name`` (ids ``side``): the article label, the numeric score in
        [-1, 1] and the sentence summary the sentiment model reads."""
        probabilities = self.sentence_tones(doc, matches, side, other, lexicon_scores, language)
        if not probabilities:
            return SideTone(None, None, {})
        in_title = any(doc.sentence_of[s.start] < doc.title_sentences for s in matches.spans if s.entity_id in side)
        summary = aggregate_features(probabilities, in_title)
        label = self.article_tone.predict(article_tone_features(summary, language, name))
        if summary["mean:none"] >= NONE_SHARE:
            label = "none"
        weights = [1.0 - p.get("none", 0.0) for p in probabilities]
        total = sum(weights)
        score = (sum(w * (p["positive"] - p["negative"]) for w, p in zip(weights, probabilities, strict=True)) / total
                 if total > 1e-9 else 0.0)
        return SideTone(None if label == "none" else label, round(score, 4), summary)

    def sentiment_of(self, doc: Doc, lexicon_score: float, tones: Mapping[str, SideTone],
                     language: str) -> tuple[str, float, dict[str, float]]:
        features = document_features(doc, lexicon_score, {side: t.summary for side, t in tones.items()})
        features[f"lang:{language}"] = 1.0
        probs = self.sentiment.probabilities(features)
        label = max(probs, key=probs.get)
        return label, round(probs["positive"] - probs["negative"], 4), features

    def topics_of(self, document: Mapping[str, float], rule_weights: Mapping[str, int],
                  min_hits: Mapping[str, int], language: str) -> list[str]:
        features = topic_features(document, rule_weights, min_hits)
        features[f"lang:{language}"] = 1.0
        return self.topics.predict_labels(features)


def _at(values: Sequence[float], index: int) -> float:
    return values[index] if index < len(values) else 0.0
