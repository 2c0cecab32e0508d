"""Relevance to Russia–Syria: both sides together score high, one side low, none zero."""

from __future__ import annotations

import pytest
from mediawatch.enrich.entities import EntityInfo, Watchlist, match_entities
from mediawatch.enrich.relevance import RELEVANT_AT, country_sides, score_relevance
from mediawatch.enrich.seeds import EntitySeed, Names
from mediawatch.enrich.textnorm import Analyzer

SEEDS = [
    EntitySeed(id="Q159", name="Russia", type="location", country="RU", aliases=Names(ar=("روسيا",))),
    EntitySeed(id="Q7747", name="Vladimir Putin", type="person", country="RU", aliases=Names(ar=("بوتين",))),
    EntitySeed(id="mw:hmeimim", name="Hmeimim", type="location", country="RU", aliases=Names(ar=("حميميم",))),
    EntitySeed(id="Q858", name="Syria", type="location", country="SY", aliases=Names(ar=("سوريا",))),
    EntitySeed(id="mw:sharaa", name="Ahmed al-Sharaa", type="person", country="SY",
               aliases=Names(ar=("أحمد الشرع",))),
    EntitySeed(id="Q43", name="Turkey", type="location", country="TR", aliases=Names(ar=("تركيا",))),
]


@pytest.fixture(scope="module")
def setup() -> tuple[Analyzer, Watchlist, dict[str, frozenset[str]]]:
    analyzer = Analyzer()
    watchlist = Watchlist.build(SEEDS, analyzer)
    return analyzer, watchlist, country_sides(watchlist.entities.values())


def relevance(setup, text: str, title: str = ""):
    analyzer, watchlist, sides = setup
    doc = analyzer.analyze(title, text)
    return score_relevance(doc, match_entities(doc, watchlist), sides)


def test_sides_come_from_country_codes_and_country_ids() -> None:
    sides = country_sides([EntityInfo("Q159", "Russia", "location", "RU"), EntityInfo("Q858", "Syria", "location"),
                           EntityInfo("mw:x", "X", "person", "SY"), EntityInfo("Q43", "Turkey", "location", "TR")])
    assert sides == {"Russia": frozenset({"Q159"}), "Syria": frozenset({"Q858", "mw:x"})}


def test_both_sides_in_title_and_same_sentence_is_most_relevant(setup) -> None:
    result = relevance(setup, "وصل بوتين إلى سوريا", title="أحمد الشرع في حميميم")
    assert result.score == 1.0 and result.relevant


def test_both_sides_in_one_sentence_beats_both_apart(setup) -> None:
    together = relevance(setup, "التقى بوتين أحمد الشرع")
    apart = relevance(setup, "تحدث بوتين. ثم قالت وزارة في سوريا")
    assert together.score > apart.score >= RELEVANT_AT
    assert together.relevant and apart.relevant


def test_one_side_only_is_not_relevant(setup) -> None:
    one = relevance(setup, "بوتين وبوتين في روسيا وحميميم")
    assert 0 < one.score < RELEVANT_AT and not one.relevant


def test_other_countries_do_not_count(setup) -> None:
    none = relevance(setup, "تركيا وتركيا")
    assert none.score == 0.0 and not none.relevant
    assert none.to_dict() == {"score": 0.0, "relevant": False}
