"""Reproducible benchmark texts composed from the project's own material.

Sentences come from the demo feeds (``seeds/demo``), the feed fixtures (``tests/data/feeds``) and
the annotated articles (``tests/data/annotated_articles.yaml``, when present). New sentences are
composed from their words plus watchlist names, lexicon words and topic keywords from ``seeds/``,
so the enricher finds entities, sentiment and topics at about the density of real coverage.
Everything is drawn from a ``random.Random`` seeded with :data:`SEED`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path

import feedparser
import pymorphy3
import yaml

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DEMO_FEEDS = sorted((SEEDS / "demo").glob("*.xml"))
FIXTURE_FEEDS = sorted((REPO / "tests" / "data" / "feeds").glob("*"))
ANNOTATED = REPO / "tests" / "data" / "annotated_articles.yaml"
LANGS = ("ar", "ru", "en")
# Fixed: the same corpus in every run, so runs compare.
SEED = 20261130
# Share of sentences taken verbatim from the project's texts; the rest are composed.
VERBATIM_SHARE = 0.3
# Words per composed sentence: wire copy runs 10-25 words a sentence.
SENTENCE_WORDS = (9, 18)
# The project's texts have a few hundred distinct words; news has a long tail of rarer ones, which
# takes this share of the filler (so caches keyed on word forms do not look better than real).
# Russian tail words are real: dictionary words (pymorphy3's, pinned) sharing a first three
# letters with the project's words, since unknown words take pymorphy's slow guessing path.
# Arabic and English ones are pseudo-words from a letter-bigram model of the project's words.
TAIL_WORDS = 6000
TAIL_SHARE = 0.35
# Dictionary entries scanned per three-letter prefix for the Russian tail.
PREFIX_SCAN = 150

_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")
_WORD = re.compile(r"\w[\w-]*")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Vocabulary:
    """What sentences in one language are made of."""

    language: str
    sentences: tuple[str, ...]
    filler: tuple[str, ...]
    tail: tuple[str, ...]
    names: tuple[str, ...]
    sentiment: tuple[str, ...]
    keywords: tuple[str, ...]


def _script(text: str) -> str:
    """ar, ru or en by the first letter of a known script (enough for the project's own texts)."""
    for char in text:
        if "\u0600" <= char <= "\u06ff":
            return "ar"
        if "\u0400" <= char <= "\u04ff":
            return "ru"
    return "en"


def _feed_texts(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    return [_TAG.sub(" ", f"{e.get('title', '')}. {e.get('summary', '')}") for e in parsed.entries]


def _annotated_texts() -> list[str]:
    if not ANNOTATED.is_file():
        return []
    data = yaml.safe_load(ANNOTATED.read_text(encoding="utf-8")) or {}
    return [f"{a.get('title', '')}. {a.get('text', '')}" for a in data.get("articles", []) if isinstance(a, dict)]


@cache
def project_sentences() -> dict[str, tuple[str, ...]]:
    """Sentences of the project's own texts, by script."""
    texts = [t for path in [*DEMO_FEEDS, *FIXTURE_FEEDS] for t in _feed_texts(path)] + _annotated_texts()
    found: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            sentence = " ".join(sentence.split()).strip(" .")
            if len(_WORD.findall(sentence)) >= 4:
                found[_script(sentence)].append(sentence + ".")
    return {lang: tuple(dict.fromkeys(found[lang])) for lang in LANGS}


def _entity_strings(lang: str) -> list[str]:
    entities = yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"]
    return [s for e in entities for group in ("aliases", "adjectives") for s in (e.get(group) or {}).get(lang, [])]


def pseudo_words(words: list[str], count: int, rng: random.Random) -> tuple[str, ...]:
    """``count`` distinct new words from a letter-bigram model of ``words`` ("^" starts, "$" ends)."""
    following: dict[str, list[str]] = {}
    for word in words:
        for a, b in zip("^" + word, word + "$", strict=True):
            following.setdefault(a, []).append(b)
    known, made = set(words), dict[str, None]()
    while len(made) < count:
        letters, char = [], rng.choice(following["^"])
        while char != "$" and len(letters) < 14:
            letters.append(char)
            char = rng.choice(following[char])
        word = "".join(letters)
        if len(word) >= 3 and word not in known:
            made[word] = None
    return tuple(made)


def dictionary_words(words: list[str], count: int, rng: random.Random) -> tuple[str, ...]:
    """Up to ``count`` distinct Russian dictionary words starting like ``words`` do."""
    morph = pymorphy3.MorphAnalyzer()
    prefixes = sorted({w[:3] for w in words if len(w) >= 3 and w[:3].isalpha()})
    per_prefix = max(1, count // max(1, len(prefixes)) + 1)
    found: dict[str, None] = {}
    for prefix in prefixes:
        scanned = (p.word for p in islice(morph.iter_known_word_parses(prefix), PREFIX_SCAN))
        known = sorted({w for w in scanned if w.isalpha() and len(w) >= 3})
        found.update(dict.fromkeys(rng.sample(known, min(per_prefix, len(known)))))
    return tuple(islice(found, count))


@cache
def vocabulary(lang: str) -> Vocabulary:
    sentences = project_sentences()[lang]
    lexicon = yaml.safe_load((SEEDS / "lexicons" / f"{lang}.yaml").read_text(encoding="utf-8"))
    topics = yaml.safe_load((SEEDS / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    names = tuple(dict.fromkeys(_entity_strings(lang)))
    sentiment = tuple(lexicon["words"])
    keywords = tuple(dict.fromkeys(k for t in topics for k in t["keywords"].get(lang, [])))
    filler = tuple(dict.fromkeys(w for s in sentences for w in _WORD.findall(s)))
    model_words = [w.lower() for text in (*filler, *names, *sentiment, *keywords) for w in _WORD.findall(text)]
    rng = random.Random(f"{SEED}-{lang}-tail")
    make_tail = dictionary_words if lang == "ru" else pseudo_words
    tail = make_tail(model_words, TAIL_WORDS, rng)
    return Vocabulary(language=lang, sentences=sentences, filler=filler, tail=tail, names=names,
                      sentiment=sentiment, keywords=keywords)


def filler_word(rng: random.Random, vocab: Vocabulary) -> str:
    return rng.choice(vocab.tail if rng.random() < TAIL_SHARE else vocab.filler)


def sentence(rng: random.Random, vocab: Vocabulary) -> str:
    """A project sentence, or filler words with a name, a sentiment word and maybe a topic keyword."""
    if rng.random() < VERBATIM_SHARE:
        return rng.choice(vocab.sentences)
    words = [filler_word(rng, vocab) for _ in range(rng.randint(*SENTENCE_WORDS))]
    inserts = [rng.choice(vocab.names), rng.choice(vocab.sentiment)]
    if rng.random() < 0.5:
        inserts.append(rng.choice(vocab.keywords))
    if rng.random() < 0.4:
        inserts.append(rng.choice(vocab.names))
    for word in inserts:
        words.insert(rng.randrange(len(words) + 1), word)
    return " ".join(words) + "."


def headline(rng: random.Random, vocab: Vocabulary) -> str:
    words = [filler_word(rng, vocab) for _ in range(rng.randint(4, 8))]
    words.insert(rng.randrange(len(words) + 1), rng.choice(vocab.names))
    return " ".join(words)


def body(rng: random.Random, vocab: Vocabulary, size_bytes: int) -> str:
    """Sentences until the UTF-8 size reaches ``size_bytes``; a paragraph break every few sentences."""
    parts: list[str] = []
    size = 0
    while size < size_bytes:
        text = sentence(rng, vocab)
        parts.append(text + ("\n" if rng.random() < 0.25 else " "))
        size += len(text.encode("utf-8")) + 1
    return "".join(parts).strip()


def articles(lang: str, count: int, size_bytes: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``count`` (title, text) pairs of about ``size_bytes`` each, the same for every run."""
    rng = random.Random(f"{seed}-{lang}-{count}-{size_bytes}")
    vocab = vocabulary(lang)
    return [(headline(rng, vocab), body(rng, vocab, size_bytes)) for _ in range(count)]
