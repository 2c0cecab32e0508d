"""How much an article is about Russia–Syria relations, from where the two sides are mentioned.

Each side is a set of watchlist ids: the country itself plus every entity whose ``country`` is
that country (officials, forces, bases, cities). Mentioning both sides scores high, in the same
sentence or the title higher still; one side alone is background at best.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .entities import EntityInfo, EntityMatches
from .textnorm import Doc

# Country sides: display name -> (ISO code in the watchlist's ``country`` field, country QID).
SIDES: dict[str, tuple[str, str]] = {"Russia": ("RU", "Q159"), "Syria": ("SY", "Q858")}
# Score components; the threshold sits between "both sides, apart" and "one side, often".
BOTH_SIDES = 0.6
SAME_SENTENCE_BONUS = 0.25
IN_TITLE_BONUS = 0.15
ONE_SIDE_BASE = 0.15
ONE_SIDE_PER_MENTION = 0.05
ONE_SIDE_CAP = 0.35
RELEVANT_AT = 0.5


@dataclass(frozen=True, slots=True)
class Relevance:
    score: float
    relevant: bool

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "relevant": self.relevant}


def country_sides(entities: Iterable[EntityInfo]) -> dict[str, frozenset[str]]:
    """Ids on each side: the country's own id plus entities whose ``country`` is that country."""
    entities = list(entities)
    return {
        side: frozenset(e.id for e in entities if e.country == code or e.id == qid)
        for side, (code, qid) in SIDES.items()
    }


def score_relevance(doc: Doc, matches: EntityMatches, sides: Mapping[str, frozenset[str]]) -> Relevance:
    """Score in [0, 1] from co-mention of the two sides; relevant at ``RELEVANT_AT`` and above."""
    russia, syria = sides["Russia"], sides["Syria"]
    counts = [sum(1 for s in matches.spans if s.entity_id in side) for side in (russia, syria)]
    if all(counts):
        score = BOTH_SIDES
        if _together(matches.by_sentence, russia, syria):
            score += SAME_SENTENCE_BONUS
        if _together(matches.by_sentence[: doc.title_sentences], russia, syria):
            score += IN_TITLE_BONUS
    elif any(counts):
        score = min(ONE_SIDE_CAP, ONE_SIDE_BASE + ONE_SIDE_PER_MENTION * max(counts))
    else:
        score = 0.0
    score = round(min(1.0, score), 4)
    return Relevance(score, score >= RELEVANT_AT)


def _together(sentences: Sequence[frozenset[str]], first: frozenset[str], second: frozenset[str]) -> bool:
    return any(ids & first and ids & second for ids in sentences)
