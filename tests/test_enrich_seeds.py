"""Seed validation: every error names the file and the line of the bad entry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mediawatch.enrich.seeds import SeedError, load_lexicon, load_lexicons, load_topics, load_watchlist
from mediawatch.enrich.textnorm import Analyzer

KEY_OF = Analyzer().phrase_keys

GOOD_ENTITIES = """\
entities:
  - id: Q7747
    name: Vladimir Putin
    type: person
    country: RU
    aliases: {ar: [بوتين], ru: [Путин], en: [Putin]}
  - id: Q649
    name: Moscow
    type: location
    country: RU
    coords: [55.75, 37.62]
    aliases: {ar: [موسكو]}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(loader, path: Path) -> SeedError:
    with pytest.raises(SeedError) as caught:
        loader(path)
    assert str(path) in str(caught.value)
    return caught.value


def load_entities(path: Path):
    return load_watchlist(path, KEY_OF)


def test_valid_watchlist_loads(tmp_path: Path) -> None:
    entities = load_entities(write(tmp_path, "entities.yaml", GOOD_ENTITIES))
    assert [e.id for e in entities] == ["Q7747", "Q649"]
    assert entities[1].coords == (55.75, 37.62)


def test_duplicate_id_points_at_the_second_entry(tmp_path: Path) -> None:
    text = GOOD_ENTITIES + "  - id: Q7747\n    name: Putin again\n    type: person\n"
    error = error_for(load_entities, write(tmp_path, "entities.yaml", text))
    assert error.line == 13 and "used twice (first at line 2)" in error.message


def test_unknown_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = GOOD_ENTITIES.replace("    aliases: {ar: [موسكو]}", "    aliasses: {ar: [موسكو]}")
    error = error_for(load_entities, write(tmp_path, "entities.yaml", text))
    assert error.line == 12 and "aliasses" in error.message


def test_bad_type_and_bad_coords_point_at_the_field(tmp_path: Path) -> None:
    error = error_for(load_entities, write(tmp_path, "e.yaml", GOOD_ENTITIES.replace("type: location", "type: city")))
    assert error.line == 9 and "type" in error.message
    error = error_for(load_entities, write(tmp_path, "e.yaml", GOOD_ENTITIES.replace("[55.75, 37.62]", "[155, 37]")))
    assert error.line == 11 and "coords" in error.message


def test_alias_shared_by_two_entities_is_an_error(tmp_path: Path) -> None:
    # Same alias after folding: أ vs ا, and case in English.
    text = GOOD_ENTITIES + "  - id: Q1\n    name: Other\n    type: person\n    aliases: {ar: [بوتين]}\n"
    error = error_for(load_entities, write(tmp_path, "entities.yaml", text))
    assert error.line == 13 and "also an alias of Q7747 (line 2)" in error.message


def test_shared_alias_is_allowed_when_both_mark_it_ambiguous(tmp_path: Path) -> None:
    text = """\
    entities:
      - {id: Q1, name: Bashar al-Assad, type: person, context_aliases: {ar: [الأسد]}, ambiguous: [الأسد]}
      - {id: Q2, name: Hafez al-Assad, type: person, context_aliases: {ar: [الاسد]}, ambiguous: [الأسد]}
    """
    assert len(load_entities(write(tmp_path, "entities.yaml", text))) == 2
    one_sided = text.replace(", ambiguous: [الأسد]}\n    \n", "}\n").replace(
        "context_aliases: {ar: [الاسد]}, ambiguous: [الأسد]", "context_aliases: {ar: [الاسد]}")
    error = error_for(load_entities, write(tmp_path, "entities.yaml", one_sided))
    assert error.line == 3


def test_ambiguous_entry_must_be_an_own_alias(tmp_path: Path) -> None:
    text = "entities:\n  - {id: Q1, name: A, type: person, aliases: {en: [Aa]}, ambiguous: [Bb]}\n"
    assert "not one of its aliases" in error_for(load_entities, write(tmp_path, "e.yaml", text)).message


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    error = error_for(load_entities, write(tmp_path, "entities.yaml", "entities:\n  - id: [unclosed\n"))
    assert error.line is not None and "not valid YAML" in error.message
    assert "cannot read" in error_for(load_entities, tmp_path / "absent.yaml").message


def test_top_level_shape_is_checked(tmp_path: Path) -> None:
    assert "`entities:` list" in error_for(load_entities, write(tmp_path, "e.yaml", "- a\n")).message
    error = error_for(load_entities, write(tmp_path, "e.yaml", GOOD_ENTITIES + "extra: 1\n"))
    assert error.line == 13 and "extra" in error.message


LEXICON = """\
language: ar
negators: [لا, لم]
intensifiers: {جدا: 1.5}
diminishers: {نسبيا: 0.7}
words:
  تعاون: 2
  قصف: -2.5
"""


def test_valid_lexicon_loads(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path, "ar.yaml", LEXICON))
    assert lexicon.words == {"تعاون": 2, "قصف": -2.5} and lexicon.negators == ("لا", "لم")


def test_weight_out_of_range_points_at_the_word(tmp_path: Path) -> None:
    error = error_for(load_lexicon, write(tmp_path, "ar.yaml", LEXICON.replace("-2.5", "-7")))
    assert error.line == 7 and "words.قصف" in error.message


def test_duplicate_word_in_lexicon(tmp_path: Path) -> None:
    error = error_for(load_lexicon, write(tmp_path, "ar.yaml", LEXICON + "  تعاون: 1\n"))
    assert error.line == 8 and "given twice" in error.message


def test_lexicon_language_must_match_its_file_name(tmp_path: Path) -> None:
    error = error_for(load_lexicon, write(tmp_path, "ru.yaml", LEXICON))
    assert error.line == 1 and "ru.yaml" in error.message


def test_missing_language_lexicon(tmp_path: Path) -> None:
    write(tmp_path, "lexicons/ar.yaml", LEXICON)
    with pytest.raises(SeedError, match="en.yaml|ru.yaml"):
        load_lexicons(tmp_path / "lexicons")


TOPICS = """\
topics:
  - id: economy
    label: Economy
    min_hits: 2
    keywords: {ar: [اقتصاد], ru: [экономика], en: [economy]}
  - id: energy
    label: Energy
    keywords: {en: [oil]}
"""


def test_topics_load_and_validate(tmp_path: Path) -> None:
    topics = load_topics(write(tmp_path, "topics.yaml", TOPICS))
    assert [(t.id, t.min_hits) for t in topics] == [("economy", 2), ("energy", 1)]
    error = error_for(load_topics, write(tmp_path, "topics.yaml", TOPICS.replace("id: energy", "id: economy")))
    assert error.line == 6 and "used twice" in error.message
    error = error_for(load_topics, write(tmp_path, "topics.yaml", TOPICS.replace("min_hits: 2", "min_hits: 0")))
    assert error.line == 4


SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.mark.skipif(not (SEEDS / "entities.yaml").is_file(), reason="seeds/entities.yaml not written yet")
def test_project_seeds_are_valid() -> None:
    entities = load_entities(SEEDS / "entities.yaml")
    assert len(entities) >= 150
    assert all(e.coords for e in entities if e.type == "location")
    assert {lang: len(lex.words) for lang, lex in load_lexicons(SEEDS / "lexicons").items()}["ar"] >= 1500
    assert len(load_topics(SEEDS / "topics.yaml")) >= 11
