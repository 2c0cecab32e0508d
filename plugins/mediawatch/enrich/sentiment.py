"""Document sentiment and tone toward each country, scored sentence by sentence.

Every method yields one score in [-1, 1] per sentence. The document score is their mean (a
density: a long neutral report with one harsh sentence stays neutral), and the tone toward a
country is the mean over the sentences that mention it or its entities. Methods:

- ``lexicon-<lang>-v1``: the project's lexicons (seeds/lexicons) with negation and
  intensifiers; Arabic entries expanded into clitic forms, Russian on lemmas;
- ``vader+lexicon-en-v1``: VADER's compound per sentence, averaged with the English lexicon
  where that has hits;
- ``camel-sentiment-bert``: camel-tools' Arabic model, when installed (see models.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .english import inflected_forms
from .models import SentenceClassifier
from .phrases import PhraseIndex, PhraseTable
from .seeds import LexiconSeed
from .textnorm import Analyzer, Doc

LEXICON_REVISION = "v1"
CAMEL_METHOD = "camel-sentiment-bert"
# VADER's N_SCALAR: a negated word flips and keeps about three quarters of its weight.
NEGATION_SCALAR = -0.74
# How many tokens before a sentiment word a negator may stand (لم يكن هناك أي تقدم).
NEGATION_WINDOW = 3
# VADER's normalisation constant: score = total / sqrt(total² + ALPHA).
ALPHA = 15.0
# Label thresholds (negative, positive) per method: a score at or below the first is negative,
# at or above the second positive. Calibrated on tests/data/annotated_articles.yaml by a grid
# search for the best macro-F1, one pair shared by the lexicon methods (a pair per language
# would fit 15 articles too closely); the middle of the best plateau (-0.10..-0.09,
# 0.14..0.15) is used. Leave-one-out over the same set gives macro-F1 0.86 for this
# procedure. The camel-tools pair is a neutral-band default, not calibrated (no model here).
LEXICON_THRESHOLDS = (-0.095, 0.145)
THRESHOLDS: dict[str, tuple[float, float]] = {
    "lexicon-ar-v1": LEXICON_THRESHOLDS,
    "lexicon-ru-v1": LEXICON_THRESHOLDS,
    "vader+lexicon-en-v1": LEXICON_THRESHOLDS,
    CAMEL_METHOD: (-0.2, 0.2),
}
DEFAULT_THRESHOLDS = LEXICON_THRESHOLDS
# English contractions are split by the tokenizer ("didn't" -> didn, t); these stems negate.
_EN_CONTRACTED_NEGATORS = ("didn", "doesn", "don", "isn", "wasn", "weren", "won", "cannot", "couldn",
                           "shouldn", "wouldn", "aren", "hasn", "haven", "hadn", "mustn", "ain")
_CAMEL_VALUES = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str
    score: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "method": self.method}


def normalize_total(total: float) -> float:
    """Squash a sum of word weights into [-1, 1] the way VADER does."""
    return total / math.sqrt(total * total + ALPHA) if total else 0.0


def label_for(score: float, method: str) -> str:
    negative, positive = THRESHOLDS.get(method, DEFAULT_THRESHOLDS)
    if score >= positive:
        return "positive"
    if score <= negative:
        return "negative"
    return "neutral"


def mean_of(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


class LexiconScorer:
    """Sums lexicon weights per sentence, with negation and intensifiers, in one pass over the keys."""

    def __init__(self, language: str, words: PhraseIndex[float], negators: frozenset[str],
                 modifiers: Mapping[str, float]) -> None:
        self.language = language
        self.method = f"lexicon-{language}-{LEXICON_REVISION}"
        self.words = words
        self.negators = negators
        self.modifiers = dict(modifiers)

    @classmethod
    def from_seed(cls, seed: LexiconSeed, analyzer: Analyzer) -> LexiconScorer:
        english = inflected_forms if seed.language == "en" else None
        words: PhraseTable[float] = PhraseTable()
        for word, weight in seed.words.items():
            words.put_with_variants(analyzer.phrase_keys(word), float(weight), add_article=True,
                                    english=english)
        modifiers: PhraseTable[float] = PhraseTable()
        for word, mult in {**seed.intensifiers, **seed.diminishers}.items():
            modifiers.put_with_variants(analyzer.phrase_keys(word), float(mult), add_article=True)
        negators = _single_keys(seed.negators, analyzer)
        if seed.language == "en":
            negators |= set(_EN_CONTRACTED_NEGATORS)
        return cls(seed.language, words.index(), frozenset(negators), _single_key_table(modifiers))

    def sentence_totals(self, doc: Doc) -> list[float]:
        """Signed sum of (negated, intensified) lexicon weights per sentence."""
        totals = [0.0] * doc.sentence_count
        for match in self.words.find_all(doc.keys):
            weight = match.payload * self._modifier(doc, match.start, match.end)
            if self._is_negated(doc, match.start):
                weight *= NEGATION_SCALAR
            totals[doc.sentence_of[match.start]] += weight
        return totals

    def _is_negated(self, doc: Doc, start: int) -> bool:
        sentence = doc.sentence_of[start]
        for j in range(max(0, start - NEGATION_WINDOW), start):
            if doc.keys[j] in self.negators and doc.sentence_of[j] == sentence:
                return True
        return False

    def _modifier(self, doc: Doc, start: int, end: int) -> float:
        """Intensifier/diminisher right before (very good) or right after (جيد جدا) the word."""
        mult = 1.0
        sentence = doc.sentence_of[start]
        for j in (start - 1, end):
            if 0 <= j < len(doc.keys) and doc.sentence_of[j] == sentence:
                mult *= self.modifiers.get(doc.keys[j], 1.0)
        return mult


def _single_keys(phrases: Iterable[str], analyzer: Analyzer) -> set[str]:
    """Negators as single folded tokens, with their Arabic clitic forms (ولم، فلا)."""
    table: PhraseTable[bool] = PhraseTable()
    for phrase in phrases:
        table.put_with_variants(analyzer.phrase_keys(phrase), True)
    return {keys[0] for keys in table.index().phrases() if len(keys) == 1}


def _single_key_table(table: PhraseTable[float]) -> dict[str, float]:
    index = table.index()
    return {keys[0]: value for keys, value in index.phrases().items() if len(keys) == 1}


# --- Sentence scorers per method ----------------------------------------------------------


class SentimentModel:
    """Chooses the method for a language and turns sentence scores into document sentiment/tone."""

    def __init__(self, lexicons: Mapping[str, LexiconScorer],
                 camel: SentenceClassifier | None = None) -> None:
        self.lexicons = dict(lexicons)
        self.camel = camel
        self._vader = None

    def method_for(self, language: str) -> str:
        if language == "ar" and self.camel is not None:
            return CAMEL_METHOD
        if language == "en":
            return f"vader+lexicon-en-{LEXICON_REVISION}"
        return self._lexicon(language).method

    def sentence_scores(self, doc: Doc, language: str) -> list[float]:
        """One score in [-1, 1] per sentence of ``doc``, by the method for ``language``."""
        if doc.sentence_count == 0:
            return []
        if language == "ar" and self.camel is not None:
            return self._camel_scores(doc)
        totals = self._lexicon(language).sentence_totals(doc)
        if language == "en":
            return self._with_vader(doc, totals)
        return [normalize_total(t) for t in totals]

    def document(self, scores: Sequence[float], language: str) -> Sentiment:
        method = self.method_for(language)
        score = round(max(-1.0, min(1.0, mean_of(scores))), 4)
        return Sentiment(label_for(score, method), score, method)

    def _lexicon(self, language: str) -> LexiconScorer:
        return self.lexicons.get(language) or self.lexicons["en"]

    def _camel_scores(self, doc: Doc) -> list[float]:
        assert self.camel is not None  # only called when the model is loaded
        labels = self.camel.predict([doc.text_of(r) for r in doc.sentence_ranges()])
        return [_CAMEL_VALUES.get(label, 0.0) for label in labels]

    def _with_vader(self, doc: Doc, totals: list[float]) -> list[float]:
        """VADER compound per sentence, averaged with the lexicon's score where the lexicon hit."""
        vader = self._get_vader()
        merged = []
        for words, total in zip(doc.sentence_ranges(), totals, strict=True):
            compound = vader.polarity_scores(doc.text_of(words))["compound"]
            merged.append((compound + normalize_total(total)) / 2 if total else compound)
        return merged

    def _get_vader(self):
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        return self._vader


def tone(scores: Sequence[float], by_sentence: Sequence[frozenset[str]],
         side: frozenset[str]) -> float | None:
    """Mean score of the sentences mentioning any id of ``side``; None if none does."""
    chosen = [score for score, ids in zip(scores, by_sentence, strict=False) if ids & side]
    return round(mean_of(chosen), 4) if chosen else None
