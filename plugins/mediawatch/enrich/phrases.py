"""A phrase index over token keys: the token trie every matcher uses.

Each trie node is a dict from the next token to the child node; a node that ends a phrase holds
its payload under the key ``None`` (never a token). Matching at a text position walks the trie
as far as the text follows it, so the work per token is bounded by the longest phrase, not by
how many phrases the watchlist holds or how many share a first word (a thousand "Mohammed ..."
entries cost the same walk as one). That keeps enrichment speed flat as the watchlist grows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .clitics import ARTICLE, has_article, prefixed_forms
from .textnorm import is_arabic

T = TypeVar("T")
Keys = tuple[str, ...]
# A seed's own spelling beats a form generated from another seed (clitic prefix, inflection).
SEED_RANK, GENERATED_RANK = 0, 1


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    tail: tuple[str, ...]
    payload: T

    @property
    def length(self) -> int:
        return 1 + len(self.tail)


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    start: int
    end: int
    payload: T


_PAYLOAD = None  # the key under which a trie node keeps the payload of the phrase ending there


class PhraseIndex(Generic[T]):
    """Map of key tuples to payloads, searchable in token lists with longest match first."""

    def __init__(self, phrases: Mapping[tuple[str, ...], T]) -> None:
        self.root: dict = {}
        for keys, payload in phrases.items():
            if not keys:
                continue
            node = self.root
            for key in keys:
                node = node.setdefault(key, {})
            node[_PAYLOAD] = payload
        self._phrases = dict(phrases)

    @property
    def heads(self) -> Mapping[str, dict]:
        """First tokens of all phrases (a cheap membership test before a walk)."""
        return self.root

    def __len__(self) -> int:
        return len(self._phrases)

    def phrases(self) -> Mapping[tuple[str, ...], T]:
        return self._phrases

    def candidates_at(self, keys: Sequence[str], i: int) -> Iterator[Candidate[T]]:
        """Phrases that match ``keys`` from position ``i``, longest first."""
        found: list[Candidate[T]] = []
        node: dict = self.root
        for j in range(i, len(keys)):
            child = node.get(keys[j])
            if child is None:
                break
            node = child
            if _PAYLOAD in node:
                found.append(Candidate(tuple(keys[i + 1 : j + 1]), node[_PAYLOAD]))
        return reversed(found)

    def longest_at(self, keys: Sequence[str], i: int) -> Candidate[T] | None:
        return next(self.candidates_at(keys, i), None)

    def find_all(self, keys: Sequence[str]) -> list[Match[T]]:
        """Non-overlapping longest matches, left to right."""
        found: list[Match[T]] = []
        root = self.root
        i, n = 0, len(keys)
        while i < n:
            if keys[i] in root:
                cand = self.longest_at(keys, i)
                if cand is not None:
                    found.append(Match(i, i + cand.length, cand.payload))
                    i += cand.length
                    continue
            i += 1
        return found


def phrase_variants(keys: Keys, add_article: bool = False,
                    english: Callable[[str], list[str]] | None = None) -> list[Keys]:
    """Generated spellings of a folded seed phrase (the phrase itself excluded).

    Arabic: clitic-prefixed forms of the first token; with ``add_article``, the rest of the
    phrase also in its definite and indefinite forms (قاعدة عسكرية / القاعدة العسكرية agree).
    English: ``english`` forms of the last token (plurals, verb forms).
    """
    if not keys:
        return []
    if is_arabic(keys[0]):
        tails = _arabic_tails(keys[1:]) if add_article else [keys[1:]]
        firsts = [keys[0], *prefixed_forms(keys[0], add_article=add_article)]
        variants = [(first, *tail) for first in firsts for tail in tails]
        return [v for v in dict.fromkeys(variants) if v != keys]
    if english is not None and keys[-1].isascii():
        return [(*keys[:-1], form) for form in english(keys[-1])]
    return []


def _arabic_tails(tail: Keys) -> list[Keys]:
    """The words after the first as written, all definite, and all indefinite."""
    definite = tuple(t if has_article(t) or not is_arabic(t) else ARTICLE + t for t in tail)
    indefinite = tuple(t[len(ARTICLE):] if has_article(t) else t for t in tail)
    return list(dict.fromkeys([tail, definite, indefinite]))


class PhraseTable(Generic[T]):
    """Collects phrases before indexing; on a clash the lower rank wins, equal ranks ``merge``."""

    def __init__(self, merge: Callable[[T, T], T] | None = None) -> None:
        self._best: dict[Keys, tuple[int, T]] = {}
        self._merge = merge

    def put(self, keys: Keys, payload: T, rank: int = SEED_RANK) -> None:
        if not keys:
            return
        held = self._best.get(keys)
        if held is None or rank < held[0]:
            self._best[keys] = (rank, payload)
        elif rank == held[0] and self._merge is not None:
            self._best[keys] = (rank, self._merge(held[1], payload))

    def put_with_variants(self, keys: Keys, payload: T, add_article: bool = False,
                          english: Callable[[str], list[str]] | None = None) -> None:
        self.put(keys, payload, SEED_RANK)
        for variant in phrase_variants(keys, add_article, english):
            self.put(variant, payload, GENERATED_RANK)

    def index(self) -> PhraseIndex[T]:
        return PhraseIndex({keys: payload for keys, (_, payload) in self._best.items()})


def merge_tuples(old: tuple, new: tuple) -> tuple:
    """Union of two payload tuples, order kept (for aliases shared by several entities)."""
    return old + tuple(x for x in new if x not in old)
