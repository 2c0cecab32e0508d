"""One normalization for both sides: watchlist aliases, lexicon words, topic keywords and articles.

A name matches only if it is folded exactly like the text it is looked for in, so everything
goes through :func:`fold` and :class:`Analyzer`. Folding works on whole strings (one NFKC pass,
camel-tools' ``dediac_ar``, one ``str.translate``, one ``casefold``) because per-token calls
would dominate the cost of enriching a document. Folding is per script, not per article
language: a Latin name inside an Arabic article is still case-folded, a Cyrillic one lemmatized.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from camel_tools.utils.charsets import AR_DIAC_CHARSET
from camel_tools.utils.dediac import dediac_ar

# camel_tools.utils.normalize.normalize_unicode maps these two ligatures before NFKC; it does so
# with a per-character Python loop, so the same mapping is applied here with str.translate.
_UNICODE_FIX = str.maketrans({"\ufdfc": "ريال", "\ufdfd": "بسم الله الرحمن الرحيم"})

# Letter folding, as camel-tools' normalize_alef_ar / normalize_alef_maksura_ar /
# normalize_teh_marbuta_ar do it, plus tatweel (dediac_ar keeps it) and Russian ё.
_FOLD_TABLE = str.maketrans(
    {
        "\u0640": None,  # tatweel
        "\u0625": "\u0627",  # إ -> ا
        "\u0623": "\u0627",  # أ -> ا
        "\u0671": "\u0627",  # ٱ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0649": "\u064a",  # ى -> ي
        "\u0629": "\u0647",  # ة -> ه
        "ё": "е",
        "Ё": "е",
    }
)

# A word: letters/digits plus the Arabic marks that sit inside words (diacritics, tatweel,
# Quranic marks), so that a diacritized word stays one token before dediacritization.
_WORD_CHARS = (
    r"\w" + "".join(sorted(AR_DIAC_CHARSET))
    + r"\u0610-\u061a\u0653-\u065f\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
)
WORD_SPLIT_RE = re.compile(f"([{_WORD_CHARS}]+)")
# A separator ends a sentence when it holds a newline, or a terminator followed by a space
# (a gap ending in "." is inside "3.5" or "U.S", not between sentences).
_SENTENCE_BREAK_RE = re.compile(r"\n|[.!?؟;؛…。]\s")
# English possessive 's / ’s after a Latin letter ("Putin's" -> "Putin").
_POSSESSIVE_RE = re.compile(r"(?<=[A-Za-z\u00c0-\u024f])['’ʼ]s\b")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
# A byline opening the body ("كتب : <author> ... <outlet>", "Автор: ...") names the writer, not
# the story's subject: a reporter called الجولاني is not al-Sharaa. The whole line is dropped.
_BYLINE_RE = re.compile(r"\A\s*(?:كتب|كتبت|بقلم|إعداد|اعداد|Автор|Текст)\s*[:：][^\n]*(?:\n|\Z)")

ARABIC_FIRST, ARABIC_LAST = "\u0600", "\u06ff"
# Distinct Russian word forms kept lemmatized; news vocabulary stays far below this, so a
# clear-all when it is reached only guards a long-running worker against unbounded growth.
LEMMA_CACHE_SIZE = 300_000

# Noun and adjective case endings, longest first, and the nominative endings they may replace:
# used only for words pymorphy does not know, whose guessed parses are unreliable.
_CASE_ENDINGS = ("ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ом", "ем", "ам", "ям",
                 "ах", "ях", "ою", "ею", "ов", "ев", "ую", "юю", "ых", "их", "ым", "им", "а", "я", "у", "ю",
                 "е", "и", "ы")
_NOMINATIVE_ENDINGS = ("", "а", "я", "ь", "й", "о")
_MIN_STEM = 3


def prepare(text: str) -> str:
    """Unicode-normalize and drop English possessives; the result is what surfaces are cut from."""
    return _POSSESSIVE_RE.sub("", unicodedata.normalize("NFKC", text.translate(_UNICODE_FIX)))


def strip_byline(text: str) -> str:
    """The body without its opening byline line, if it has one."""
    return _BYLINE_RE.sub("", text, count=1)


def fold(text: str) -> str:
    """Fold prepared text for matching: no diacritics/tatweel, one alef, ي for ى, ه for ة, case, ё."""
    return dediac_ar(text).translate(_FOLD_TABLE).casefold()


def is_arabic(token: str) -> bool:
    """True for a folded token written in Arabic letters (checked on its first character)."""
    return bool(token) and ARABIC_FIRST <= token[0] <= ARABIC_LAST


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC_RE.search(text) is not None


@dataclass(frozen=True, slots=True)
class Doc:
    """An article cut into word tokens, once, for every matcher to share.

    ``keys[i]`` is the folded (and, for Cyrillic, lemmatized) form of ``words[i]``; ``gaps[i]`` is
    the text between word i-1 and word i, so that a span's original surface can be rebuilt.
    Title words come first and fill sentences ``0 .. title_sentences - 1``.
    """

    words: list[str]
    gaps: list[str]
    keys: list[str]
    sentence_of: list[int]
    sentence_count: int
    title_sentences: int
    title_words: int

    def surface(self, start: int, end: int) -> str:
        """The text of tokens ``start .. end-1`` as it appeared (after Unicode normalization)."""
        parts = [self.words[start]]
        for k in range(start + 1, end):
            parts.append(self.gaps[k])
            parts.append(self.words[k])
        return "".join(parts)

    def sentence_ranges(self) -> list[range]:
        """Word index range of each sentence, in order (every sentence has at least one word)."""
        ranges: list[range] = []
        start, sentence_of = 0, self.sentence_of
        for i in range(1, len(sentence_of) + 1):
            if i == len(sentence_of) or sentence_of[i] != sentence_of[start]:
                ranges.append(range(start, i))
                start = i
        return ranges

    def text_of(self, words: range) -> str:
        return self.surface(words.start, words.stop) if words else ""


@dataclass(slots=True)
class _Segment:
    words: list[str]
    gaps: list[str]
    sentence_of: list[int]
    sentence_count: int


def _split(text: str, first_sentence: int) -> _Segment:
    """Cut prepared text into words, the gaps before them, and a sentence number per word."""
    parts = WORD_SPLIT_RE.split(text)
    words, gaps = parts[1::2], parts[0:-1:2]
    sentence_of: list[int] = []
    sentence = first_sentence
    started = False
    for gap in gaps:
        if started and gap != " " and _SENTENCE_BREAK_RE.search(gap):
            sentence += 1
        sentence_of.append(sentence)
        started = True
    count = sentence - first_sentence + 1 if words else 0
    return _Segment(words, gaps, sentence_of, count)


class Analyzer:
    """Turns text into :class:`Doc` tokens and alias strings into key tuples, the same way.

    Holds the Russian lemmatizer so that lemma choice can prefer lemmas the seeds use
    (``Путина`` is both the surname and a fishing season; the watchlist knows which one matters).
    """

    def __init__(self, lemmatizer: RussianLemmatizer | None = None) -> None:
        self.lemmatizer = lemmatizer or RussianLemmatizer()

    def phrase_keys(self, phrase: str) -> tuple[str, ...]:
        """Key tuple of a seed phrase (alias, keyword, lexicon entry), folded like article text;
        Cyrillic words take their seed lemma (see :meth:`RussianLemmatizer.lemma_of_seed`)."""
        segment = _split(prepare(phrase), 0)
        folded = self._fold_words(segment.words)
        keys = folded
        if has_cyrillic(phrase):
            keys = [self.lemmatizer.lemma_of_seed(k) if _CYRILLIC_RE.match(k) else k for k in folded]
            keys = _keep_compound_stems(folded, keys, segment.gaps)
        return tuple(k for k in keys if k)

    def analyze(self, title: str, text: str) -> Doc:
        """Tokenize and fold title and body once; every matcher then works on ``Doc.keys``."""
        head = _split(prepare(title or ""), 0)
        body = _split(prepare(strip_byline(text or "")), head.sentence_count)
        words, gaps = head.words + body.words, head.gaps + body.gaps
        keys = self._fold_words(words)
        if any(has_cyrillic(w) for w in (title, text) if w):
            keys = _keep_compound_stems(keys, self.lemmatizer.lemmatize_keys(keys), gaps)
        return Doc(
            words=words,
            gaps=gaps,
            keys=keys,
            sentence_of=head.sentence_of + body.sentence_of,
            sentence_count=head.sentence_count + body.sentence_count,
            title_sentences=head.sentence_count,
            title_words=len(head.words),
        )

    @staticmethod
    def _fold_words(words: list[str]) -> list[str]:
        """Fold all words in one string operation; fall back per word if a fold ever splits one."""
        if not words:
            return []
        keys = fold("\n".join(words)).split("\n")
        if len(keys) != len(words):
            keys = [fold(w).replace("\n", " ") for w in words]
        return keys


def _keep_compound_stems(folded: list[str], lemmas: list[str], gaps: list[str]) -> list[str]:
    """Leave the first element of a Russian hyphenated compound unlemmatized.

    In военно-морской or российско-сирийский the part before the hyphen, ending in the linking
    vowel -о/-е, is a stem, not a word: lemmatized it would read as военный / российский.
    """
    out = lemmas
    for i in range(len(folded) - 1):
        if gaps[i + 1] == "-" and folded[i].endswith(("о", "е")) and _CYRILLIC_RE.match(folded[i]):
            if out is lemmas:
                out = list(lemmas)
            out[i] = folded[i]
    return out


class RussianLemmatizer:
    """pymorphy3 lemmas with a per-word-form cache (parsing costs ~50 µs; a dict hit, ~50 ns).

    ``vocabulary`` holds the lemmas used by the seeds: when one of a word's parses leads to a
    seed lemma it is preferred over pymorphy's most probable parse.
    """

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self.vocabulary: set[str] = set(vocabulary)
        self._cache: dict[str, str] = {}
        self._morph: Any = None  # pymorphy3.MorphAnalyzer, made on first use (loading costs ~0.5 s)

    def add_vocabulary(self, lemmas: Iterable[str]) -> None:
        self.vocabulary.update(lemmas)
        self._cache.clear()

    def lemma_of_seed(self, word: str) -> str:
        """Lemma of a seed word, written in the nominative (or infinitive) by convention.

        A word pymorphy does not know (most foreign names: Касра, Шараа) is kept as written:
        its guesser would turn Касра into "каср". A known word takes its first nominative parse
        (российские -> российский), or its first parse when it has no case (сотрудничать).
        """
        parses = self._parse(word)
        if not parses or not self._morph.word_is_known(word):
            return word
        nominative = next((p for p in parses if "nomn" in p.tag), parses[0])
        return _clean_lemma(nominative.normal_form)

    def lemmatize_keys(self, keys: list[str]) -> list[str]:
        """Lemmas of Cyrillic keys (other keys unchanged), through the word-form cache."""
        cache = self._cache
        if len(cache) > LEMMA_CACHE_SIZE:
            cache.clear()
        out = []
        for key in keys:
            lemma = cache.get(key)
            if lemma is None:
                lemma = self._lemma_of_text_word(key) if _CYRILLIC_RE.match(key) else key
                cache[key] = lemma
            out.append(lemma)
        return out

    def _lemma_of_text_word(self, word: str) -> str:
        """A seed lemma among pymorphy's parses; else, for an unknown word, a seed lemma reached
        by swapping a case ending (Касрой -> Касра); else pymorphy's best parse."""
        lemmas = [_clean_lemma(p.normal_form) for p in self._parse(word)]
        for lemma in [*lemmas, word]:
            if lemma in self.vocabulary:
                return lemma
        if not self._morph.word_is_known(word):
            by_ending = self._by_case_ending(word)
            if by_ending:
                return by_ending
        return lemmas[0] if lemmas else word

    def nominative(self, word: str, first_only: bool = False) -> str:
        """A name's words in the nominative, keeping gender and capitals (Марии Захаровой ->
        Мария Захарова); with ``first_only`` just the head word (Министерством обороны ->
        Министерство обороны)."""
        words = word.split()
        out = []
        for k, part in enumerate(words):
            if (first_only and k) or not _CYRILLIC_RE.match(part):
                out.append(part)
                continue
            parses = self._parse(part)
            form = parses[0].inflect({"nomn"}) if parses else None
            text = form.word if form else part
            out.append(text[:1].upper() + text[1:] if part[:1].isupper() else text)
        return " ".join(out)

    def _by_case_ending(self, word: str) -> str | None:
        for ending in _CASE_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
                stem = word[: len(word) - len(ending)]
                for nominative in _NOMINATIVE_ENDINGS:
                    if stem + nominative in self.vocabulary:
                        return stem + nominative
        return None

    def _parse(self, word: str):
        if self._morph is None:
            import pymorphy3

            self._morph = pymorphy3.MorphAnalyzer()
        return self._morph.parse(word)


def _clean_lemma(lemma: str) -> str:
    return lemma.replace("ё", "е")
