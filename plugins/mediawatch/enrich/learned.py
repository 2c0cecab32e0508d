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
    side_sentence_features,
    topic_features,
)
from mediawatch.learn.linear import LinearModel, top_label

from .entities import EntityMatches
from .models import say_once
from .textnorm import Doc

LOG = logging.getLogger(__name__)
TRAINED_DIR = Path(__file__).resolve().parent / "trained"
LANGUAGES = ("ar", "ru", "en")
MODEL_REVISION = "learned-v1"
# A side whose mentions the sentence model reads, on average, as surely not the side's state (a
# place, refugees, the opposition) has no tone: null, as when never mentioned. Chosen on the train
# split's out-of-fold probabilities: at 0.7, 38 of 139 "none" pairs are nulled and 3 of 477 pairs
# with a tone are lost; at 0.5, 82 and 41.
NONE_SHARE = 0.7
# A feed item of a title and a sentence or two is its sentences: the article model was trained on
# whole articles (median 24 sentences, none under 4), where one harsh line in a long report is not the report's tone,
# and it reads a lone sentence the same way. Short items take their sentences' weighted mean.
SHORT_ITEM_SENTENCES = 2


MODEL_FILES = ([f"mention-{lang}.json" for lang in LANGUAGES] + [f"tone-{lang}.json" for lang in LANGUAGES]
               + ["article-tone.json", "sentiment.json", "topics.json"])


def models_fingerprint(folder: Path = TRAINED_DIR) -> str | None:
    """Short hash of the model files' bytes, or None when any is missing."""
    paths = [folder / name for name in MODEL_FILES]
    if not all(p.is_file() for p in paths):
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


@dataclass(frozen=True)
class SideTone:
    label: str | None
    score: float | None
    summary: Mapping[str, float]


def combine(mention: Mapping[str, float], portrayal: Mapping[str, float]) -> dict[str, float]:
    """One distribution over negative/neutral/positive/none from the two sentence stages:
    P(none) = 1 - P(the mention is the side's state), the tones share the rest."""
    side = mention.get("side", 0.0)
    out = {label: side * portrayal.get(label, 0.0) for label in ("negative", "neutral", "positive")}
    out["none"] = 1.0 - side
    return out


@dataclass(frozen=True)
class LearnedModels:
    mention: Mapping[str, LinearModel]       # language -> is a side's mention its state ("side"/"none")
    tone: Mapping[str, LinearModel]          # language -> how a sentence portrays the side
    article_tone: LinearModel                # sentence probabilities -> article tone
    sentiment: LinearModel
    topics: LinearModel
    fingerprint: str

    @classmethod
    def load(cls, folder: Path = TRAINED_DIR) -> LearnedModels | None:
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            say_once(f"learned models missing in {folder} ({', '.join(missing)}); using the lexicon method",
                     logging.WARNING)
            return None
        return cls(
            mention={lang: LinearModel.load(folder / f"mention-{lang}.json") for lang in LANGUAGES},
            tone={lang: LinearModel.load(folder / f"tone-{lang}.json") for lang in LANGUAGES},
            article_tone=LinearModel.load(folder / "article-tone.json"),
            sentiment=LinearModel.load(folder / "sentiment.json"),
            topics=LinearModel.load(folder / "topics.json"),
            fingerprint=models_fingerprint(folder) or "",
        )

    def uses(self, part: str, language: str) -> bool:
        """Whether the learned ``part`` ("sentiment", "topics") beat the previous method for
        ``language`` out-of-fold on the train split (recorded by training in the model's meta)."""
        model = self.sentiment if part == "sentiment" else self.topics
        return language in (model.meta or {}).get("use_for", LANGUAGES)

    def method(self, part: str, language: str) -> str:
        return f"{MODEL_REVISION}-{part}-{language}"

    def sentence_tones(self, doc: Doc, matches: EntityMatches, side: frozenset[str], other: frozenset[str],
                       lexicon_scores: Sequence[float], language: str) -> list[dict[str, float]]:
        """Probabilities (negative/neutral/positive/none) of each sentence mentioning ``side``, in order."""
        return [self.sentence_probabilities(features, language)
                for _, features in side_sentence_features(doc, matches, side, other, lexicon_scores)]

    def sentence_probabilities(self, features: Mapping[str, float], language: str) -> dict[str, float]:
        """One sentence's negative/neutral/positive/none from its tone features, both stages combined."""
        return combine(self.mention[language].probabilities(features), self.tone[language].probabilities(features))

    def side_tone(self, doc: Doc, matches: EntityMatches, name: str, side: frozenset[str], other: frozenset[str],
                  lexicon_scores: Sequence[float], language: str) -> SideTone:
        """Tone toward the side ``name`` (ids ``side``): the article label, the numeric score in
        [-1, 1] and the sentence summary the sentiment model reads."""
        probabilities = self.sentence_tones(doc, matches, side, other, lexicon_scores, language)
        if not probabilities:
            return SideTone(None, None, {})
        in_title = any(doc.sentence_of[s.start] < doc.title_sentences for s in matches.spans if s.entity_id in side)
        summary = aggregate_features(probabilities, in_title, doc.sentence_count)
        weights = [1.0 - p.get("none", 0.0) for p in probabilities]
        total = sum(weights)
        if summary["mean:none"] >= NONE_SHARE:
            label = "none"
        elif doc.sentence_count <= SHORT_ITEM_SENTENCES and total > 1e-9:
            label = top_label({t: sum(w * p[t] for w, p in zip(weights, probabilities, strict=True))
                               for t in ("negative", "neutral", "positive")})
        else:
            label = self.article_tone.predict(article_tone_features(summary, language, name))
        score = (sum(w * (p["positive"] - p["negative"]) for w, p in zip(weights, probabilities, strict=True)) / total
                 if total > 1e-9 else 0.0)
        return SideTone(None if label == "none" else label, round(score, 4), summary)

    def sentiment_of(self, doc: Doc, lexicon_score: float, tones: Mapping[str, SideTone],
                     language: str) -> tuple[str, float, dict[str, float]]:
        features = document_features(doc, lexicon_score, {side: t.summary for side, t in tones.items()})
        features[f"lang:{language}"] = 1.0
        probs = self.sentiment.probabilities(features)
        label = top_label(probs)
        return label, round(probs["positive"] - probs["negative"], 4), features

    def topics_of(self, document: Mapping[str, float], rule_weights: Mapping[str, int],
                  min_hits: Mapping[str, int], language: str) -> list[str]:
        features = topic_features(document, rule_weights, min_hits)
        features[f"lang:{language}"] = 1.0
        return self.topics.predict_labels(features)

