"""Watchlist entity linking: every alias in every script resolves to one canonical id.

Aliases are folded with the article's own normalization (textnorm), Arabic aliases are expanded
into their clitic-prefixed forms (clitics), and all of them go into one phrase index, so the
matcher makes one dict probe per token whatever the watchlist size. Context aliases (الشرع,
الأسد) resolve only to a person already named in full earlier in the same article; alone they
are ordinary words (law, lion).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .phrases import PhraseIndex, PhraseTable, merge_tuples
from .seeds import EntitySeed
from .textnorm import Analyzer, Doc

AliasKind = Literal["name", "adjective", "context"]


@dataclass(frozen=True, slots=True)
class EntityInfo:
    id: str
    name: str
    type: str
    country: str | None = None
    coords: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """One reading of an alias: which entity it names, and how (full name, adjective, short form)."""

    entity_id: str
    kind: AliasKind


@dataclass(frozen=True, slots=True)
class EntityHit:
    id: str
    name: str
    type: str
    count: int
    surfaces: tuple[str, ...]
    coords: tuple[float, float] | None = None
    linked: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "type": self.type,
            "count": self.count, "surfaces": list(self.surfaces),
        }
        if self.coords is not None:
            out["coords"] = list(self.coords)
        out["linked"] = self.linked
        return out


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    entity_id: str


@dataclass(frozen=True)
class EntityMatches:
    """Spans found in one document, plus which entity ids each sentence mentions (for tone)."""

    spans: list[Span]
    by_sentence: list[frozenset[str]] = field(default_factory=list)


class Watchlist:
    """Entities by id plus the phrase index of all their folded (and prefixed) aliases."""

    def __init__(self, entities: Sequence[EntityInfo], index: PhraseIndex[tuple[Option, ...]]) -> None:
        self.entities = {e.id: e for e in entities}
        self.index = index

    @classmethod
    def build(cls, seeds: Iterable[EntitySeed], analyzer: Analyzer) -> Watchlist:
        seeds = list(seeds)
        table: PhraseTable[tuple[Option, ...]] = PhraseTable(merge_tuples)
        for seed in seeds:
            for kind, strings in _alias_groups(seed):
                for text in strings:
                    # Adjectives take the article (الروسي); names keep it only as written.
                    table.put_with_variants(analyzer.phrase_keys(text), (Option(seed.id, kind),),
                                            add_article=kind == "adjective")
        return cls([_info(s) for s in seeds], table.index())

    def hits(self, doc: Doc, matches: EntityMatches) -> list[EntityHit]:
        """Aggregate spans per entity, in order of first mention, with their distinct surfaces."""
        surfaces: dict[str, dict[str, None]] = {}
        counts: dict[str, int] = {}
        for span in matches.spans:
            counts[span.entity_id] = counts.get(span.entity_id, 0) + 1
            surfaces.setdefault(span.entity_id, {})[doc.surface(span.start, span.end)] = None
        return [self._hit(eid, counts[eid], tuple(surfaces[eid])) for eid in counts]

    def _hit(self, entity_id: str, count: int, surfaces: tuple[str, ...]) -> EntityHit:
        info = self.entities[entity_id]
        coords = info.coords if info.type == "location" else None
        return EntityHit(info.id, info.name, info.type, count, surfaces, coords)


def _info(seed: EntitySeed) -> EntityInfo:
    return EntityInfo(seed.id, seed.name, seed.type, seed.country, seed.coords)


def _alias_groups(seed: EntitySeed) -> list[tuple[AliasKind, list[str]]]:
    return [
        ("name", [seed.name, *seed.aliases.all()]),
        ("adjective", seed.adjectives.all()),
        ("context", seed.context_aliases.all()),
    ]


# --- Matching -----------------------------------------------------------------------------


def match_entities(doc: Doc, watchlist: Watchlist) -> EntityMatches:
    """Longest-match, left-to-right scan of the document's keys against the watchlist."""
    keys, heads, index = doc.keys, watchlist.index.heads, watchlist.index
    named: dict[str, int] = {}  # entity id -> position of its latest full-name mention
    spans: list[Span] = []
    i, n = 0, len(keys)
    while i < n:
        if keys[i] in heads:
            span = _span_at(index, doc, i, named)
            if span is not None:
                spans.append(span)
                i = span.end
                continue
        i += 1
    return EntityMatches(spans, _by_sentence(doc, spans))


def _span_at(index: PhraseIndex[tuple[Option, ...]], doc: Doc, i: int, named: dict[str, int]) -> Span | None:
    for cand in index.candidates_at(doc.keys, i):
        end = i + cand.length
        if doc.sentence_of[end - 1] != doc.sentence_of[i]:
            continue  # a name does not run across a sentence break
        option = choose_option(cand.payload, named)
        if option is not None:
            if option.kind == "name":
                named[option.entity_id] = i
            return Span(i, end, option.entity_id)
    return None


def choose_option(options: Sequence[Option], named: dict[str, int]) -> Option | None:
    """Pick the reading of an alias given who the article has named so far.

    A context alias needs its person named earlier (the most recent wins if several were);
    a shared full alias prefers an entity already named, else the watchlist's first entry.
    """
    seen = [o for o in options if o.entity_id in named]
    if seen:
        return max(seen, key=lambda o: named[o.entity_id])
    plain = [o for o in options if o.kind != "context"]
    return plain[0] if plain else None


def _by_sentence(doc: Doc, spans: list[Span]) -> list[frozenset[str]]:
    sentences: list[set[str]] = [set() for _ in range(doc.sentence_count)]
    for span in spans:
        sentences[doc.sentence_of[span.start]].add(span.entity_id)
    return [frozenset(s) for s in sentences]

