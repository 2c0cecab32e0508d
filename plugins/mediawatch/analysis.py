"""Search analysis done in Python, for clusters without language analyzers.

The Elasticsearch test distribution has no analysis-common module, so no ``arabic`` or
``russian`` analyzer. To keep "بوتين finds وبوتين" and "Путин finds Путина" true there, each
article also gets ``search_terms``: its words run through the same steps Lucene's Arabic
analyzer takes (normalize, strip one prefix, strip suffixes, with the same length guards),
Russian lemmas from pymorphy3, and English lower-case without possessives. The search
command runs queries through the same function, so both sides agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
# Letter variants folded as Lucene's ArabicNormalizer does. Applied with str.replace: no target is
# also a source, so the chain equals one str.translate, which looks every character up in a dict
# and was a third of the fingerprint's time (bench/RESULTS.md).
_ARABIC_VARIANTS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه"))
# Lucene ArabicStemmer's lists, in its order (after normalization teh marbuta is already heh).
ARABIC_PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
ARABIC_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def fold_arabic(text: str) -> str:
    """Without diacritics and tatweel, and with one letter for each alef/ya/teh-marbuta variant."""
    text = _ARABIC_MARKS.sub("", text)
    for variant, letter in _ARABIC_VARIANTS:
        text = text.replace(variant, letter)
    return text


def _strip_prefix(word: str) -> str:
    for prefix in ARABIC_PREFIXES:
        short_single = len(prefix) == 1 and len(word) < 4
        if word.startswith(prefix) and not short_single and len(word) >= len(prefix) + 2:
            return word[len(prefix):]
    return word


def _strip_suffixes(word: str) -> str:
    for suffix in ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) >= len(suffix) + 2:
            word = word[: -len(suffix)]
    return word


def arabic_stem(word: str) -> str:
    """Light stem of one Arabic word, as Lucene's Arabic analyzer computes it."""
    return _strip_suffixes(_strip_prefix(fold_arabic(word)))


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def russian_lemma(word: str) -> str:
    return _morph().parse(word)[0].normal_form.replace("ё", "е")


# Distinct words kept with their term; news vocabulary is Zipfian, so the stemming and the
# lemma lookup run once per word form, not once per occurrence (as russian_lemma already did).
TERM_CACHE_SIZE = 200_000


@lru_cache(maxsize=TERM_CACHE_SIZE)
def _term(word: str) -> str:
    if _ARABIC_LETTER.match(word):
        return arabic_stem(word)
    if _CYRILLIC.match(word):
        return russian_lemma(word)
    return word


def search_terms(text: str, language: str = "") -> str:
    """Space-separated analysed terms of ``text``; the script of each word picks its analysis."""
    text = re.sub(r"['’]s\b", "", text.casefold())
    return " ".join(_term(word) for word in _WORD.findall(text))
