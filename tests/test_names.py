"""Names off the watchlist: finders per language (enrich/names.py) and the candidates list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mediawatch.candidates import top_candidates
from mediawatch.document import enrichment_fields
from mediawatch.enrich import Enricher, load_enricher
from mediawatch.enrich.names import name_key, names_match
from mediawatch.settings import DEFAULT_SEEDS_DIR
from mediawatch.store import index_action, write_bulk


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return load_enricher(DEFAULT_SEEDS_DIR)


def unlinked(result) -> dict[str, str]:
    return {e.name: e.type for e in result.entities if not e.linked}


def test_russian_names_come_from_natasha_in_the_nominative(enricher: Enricher) -> None:
    assert enricher.russian_names is not None, "natasha's model files are installed by make install"
    result = enricher.enrich("", "Министр иностранных дел Армении Зограб Мнацаканян встретился с депутатом "
                                 "Ириной Петровой в Ереване.", language="ru")
    assert unlinked(result) == {"Армения": "location", "Зограб Мнацаканян": "person", "Ирина Петрова": "person",
                                "Ереван": "location"}
    petrova = next(e for e in result.entities if e.name == "Ирина Петрова")
    assert petrova.surfaces == ("Ириной Петровой",) and petrova.id.startswith("ner:person:")


def test_english_names_without_titles_and_demonyms(enricher: Enricher) -> None:
    result = enricher.enrich("", "Japan's talks went on. Later, Japanese Foreign Minister Fumio Kishida met "
                                 "Kurdish leaders and the Cabinet in Tokyo.", language="en")
    names = unlinked(result)
    assert "Fumio Kishida" in names and names["Fumio Kishida"] == "person"
    assert not {"Kurdish", "Japanese Foreign Minister Fumio Kishida", "Later"} & set(names)


def test_arabic_names_after_a_title(enricher: Enricher) -> None:
    result = enricher.enrich("", "وقال وزير الخارجية الأرميني زوهراب مناتساكانيان إن المحادثات كانت مثمرة.",
                             language="ar")
    assert any(names_match(name_key(enricher.analyzer, "زوهراب مناتساكانيان"), name_key(enricher.analyzer, n))
               for n in unlinked(result))


def test_name_keys_match_clitics_and_runs(enricher: Enricher) -> None:
    key = name_key(enricher.analyzer, "فلاديمير بوتين")
    assert names_match(key, name_key(enricher.analyzer, "وبوتين"))
    assert names_match(name_key(enricher.analyzer, "Путина"), name_key(enricher.analyzer, "Владимир Путин"))
    assert not names_match(key, name_key(enricher.analyzer, "بوتينا"))


@pytest.mark.es
def test_candidates_rank_unlinked_names_with_languages_and_examples(es, settings, enricher: Enricher) -> None:
    now = datetime.now(UTC)
    texts = [("ru", "Министр Зограб Мнацаканян прибыл в Москву."), ("ru", "Зограб Мнацаканян провёл переговоры."),
             ("en", "Armenian Foreign Minister Zohrab Mnatsakanyan spoke."), ("en", "Fumio Kishida spoke.")]
    actions = []
    for k, (lang, text) in enumerate(texts):
        fields = enrichment_fields(enricher.enrich("", text, language=lang).to_dict(), now.isoformat())
        doc = {"id": f"a{k}", "url": f"https://example.org/{k}", "language": lang,
               "published_at": (now - timedelta(hours=k)).isoformat(), **fields}
        actions.append(index_action(settings.index("articles"), doc["id"], doc))
    old = {"id": "old", "url": "https://example.org/old", "language": "en",
           "published_at": (now - timedelta(days=30)).isoformat(),
           **enrichment_fields(enricher.enrich("", "Fumio Kishida spoke.", language="en").to_dict(), now.isoformat())}
    actions.append(index_action(settings.index("articles"), "old", old))
    assert write_bulk(es, actions, settings).written == 5
    es.indices.refresh(index=settings.index("articles"))

    found = {c.name: c for c in top_candidates(es, settings, since="7d")}
    ru = found["Зограб Мнацаканян"]
    assert ru.articles == 2 and ru.languages == {"ru": 2} and ru.type == "person"
    assert sorted(ru.examples) == ["https://example.org/0", "https://example.org/1"]
    assert found["Fumio Kishida"].articles == 1, "the 30-day-old article is outside --since 7d"
    assert {c.name for c in top_candidates(es, settings, since="7d", language="en")} >= {"Fumio Kishida"}
    assert all(c.id.startswith("ner:") for c in found.values())


def test_name_finders_survive_the_enricher_cache(enricher: Enricher) -> None:
    """The compiled enricher (enrich/cache.py) is a pickle: the finders must come through it whole,
    the gazetteer index built, natasha's model still loaded lazily."""
    import pickle

    text = "Министр иностранных дел Армении Зограб Мнацаканян прибыл в Ереван."
    again = pickle.loads(pickle.dumps(enricher))
    assert again.russian_names is not None and again.russian_names._tagger is None
    assert again.name_models["ar"]._index is not None
    assert again.enrich("", text, language="ru").to_dict() == enricher.enrich("", text, language="ru").to_dict()
