"""Which of the three monitored languages an article is written in.

Feeds declare a language, but aggregators mix them and wire copies get re-published, so the
text decides. Script counts settle almost every case for Arabic, Russian and English (three
different alphabets); the statistical model only arbitrates mixed-script text, and the feed's
language (``prior``) wins whenever the text is too short or the model is unsure.
"""

from __future__ import annotations

import re
import threading

from .constants import LANGUAGES, Language

DEFAULT_LANGUAGE: Language = "en"

# Letters only: digits, punctuation and diacritics say nothing about the language.
# Matched as runs: the letter count is the sum of the run lengths, found with a fifth of the
# string objects a one-letter pattern creates.
_ARABIC_LETTERS = re.compile(
    r"[\u0620-\u063f\u0641-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]+"
)
_CYRILLIC_LETTERS = re.compile(r"[\u0400-\u04ff]+")
_LATIN_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f]+")

# A script holding this share of the letters decides on its own (checked on mixed headlines
# such as "Путин: Syria talks" — a quoted foreign name rarely reaches a quarter of the letters).
CLEAR_MAJORITY = 0.75
# Below this many letters, neither scripts nor the model are trusted over the feed's language.
MIN_LETTERS = 12
# py3langid's normalised probability under which the feed's language wins.
MIN_CONFIDENCE = 0.90

_identifier = None
_identifier_lock = threading.Lock()


def script_counts(text: str) -> dict[Language, int]:
    """Count Arabic, Cyrillic and Latin letters; the cheapest and most reliable signal we have."""
    return {
        "ar": sum(map(len, _ARABIC_LETTERS.findall(text))),
        "ru": sum(map(len, _CYRILLIC_LETTERS.findall(text))),
        "en": sum(map(len, _LATIN_LETTERS.findall(text))),
    }


def detect_language(text: str, prior: str | None = None) -> Language:
    """Return "ar", "ru" or "en" for ``text``; ``prior`` is the feed's declared language."""
    fallback = _as_language(prior)
    counts = script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return fallback or DEFAULT_LANGUAGE
    majority = max(counts, key=counts.__getitem__)
    if counts[majority] / total >= CLEAR_MAJORITY:
        return majority
    if total < MIN_LETTERS and fallback:
        return fallback
    guess, confidence = _classify(text)
    if confidence < MIN_CONFIDENCE and fallback:
        return fallback
    return guess


def _as_language(value: str | None) -> Language | None:
    """Accept "ar", "AR", "ar-SY", "ru_RU"... as a prior; anything else is no prior."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    return code if code in LANGUAGES else None


def _classify(text: str) -> tuple[Language, float]:
    lang, prob = _get_identifier().classify(text)
    return lang, float(prob)


def _get_identifier():
    """Load py3langid's model once per process (about half a second), restricted to our languages."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier
