"""The public API on the project's seeds: JSON contract, version, caching, and robustness."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mediawatch.enrich import ENRICHMENT_VERSION, Enricher, Enrichment, SeedError, build_enricher, load_enricher
from mediawatch.settings import DEFAULT_SEEDS_DIR

PUTIN, SHARAA, RUSSIA, SYRIA, MOSCOW, KREMLIN = "Q7747", "Q7934206", "Q159", "Q858", "Q649", "mw:kremlin"
TOP_KEYS = {"language", "entities", "sentiment", "tone", "tone_labels", "topics", "relevance", "enrichment_version"}
ENTITY_KEYS = {"id", "name", "type", "count", "surfaces", "linked"}

ARABIC_ARTICLE = """كتب : محمد علي ... وكالة الأنباء
أجرى الرئيس الروسي فلاديمير بوتين مباحثات مثمرة مع الرئيس السوري أحمد الشرع في الكرملين خلال زيارة رسمية، وأكد الشرع
أن العلاقات بين سوريا وروسيا تشهد تطورا إيجابيا. ورحب بوتين بالتعاون الاقتصادي والاستثمار في إعادة الإعمار.
وشدد الجانبان على أهمية الشراكة الاستراتيجية والتعاون في مجالات الطاقة والتجارة."""


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return load_enricher(DEFAULT_SEEDS_DIR)


@pytest.fixture(scope="module")
def lexicon_enricher() -> Enricher:
    """The lexicon method alone (the fallback without model files); the learned models have their
    own tests on real news in test_learn.py."""
    return build_enricher(DEFAULT_SEEDS_DIR, learned=False)


def test_contract_of_to_dict(enricher: Enricher) -> None:
    result = enricher.enrich("بوتين يستقبل الشرع في موسكو", ARABIC_ARTICLE, prior="ar").to_dict()
    assert set(result) == TOP_KEYS
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    for entity in result["entities"]:
        assert ENTITY_KEYS <= set(entity) <= ENTITY_KEYS | {"coords"}
        assert entity["type"] in {"person", "organization", "location"} and entity["count"] >= 1
    assert set(result["sentiment"]) == {"label", "score", "method"}
    assert set(result["tone"]) == {"Russia", "Syria"}
    assert set(result["relevance"]) == {"score", "relevant"}
    assert result["enrichment_version"] == ENRICHMENT_VERSION


def test_typical_arabic_article(lexicon_enricher: Enricher) -> None:
    result = lexicon_enricher.enrich("بوتين يستقبل أحمد الشرع في موسكو", ARABIC_ARTICLE)
    ids = {e.id for e in result.entities}
    assert {PUTIN, SHARAA, RUSSIA, SYRIA, MOSCOW, KREMLIN} <= ids
    sharaa = next(e for e in result.entities if e.id == SHARAA)
    assert sharaa.name == "Ahmed al-Sharaa" and "الشرع" in sharaa.surfaces
    assert result.language == "ar" and result.sentiment.label == "positive"
    assert result.sentiment.method == "lexicon-ar-v1"
    assert result.tone["Russia"] > 0 and result.tone["Syria"] > 0
    assert result.relevance.relevant and result.relevance.score >= 0.9
    assert "diplomacy" in result.topics and "economy" in result.topics
    moscow = next(e for e in result.entities if e.id == MOSCOW)
    assert moscow.coords is not None


def test_russian_and_english_articles(lexicon_enricher: Enricher) -> None:
    enricher = lexicon_enricher
    ru = enricher.enrich("Путин встретился с аш-Шараа", "Президент России Владимир Путин провёл в Кремле "
                         "переговоры с президентом Сирии Ахмедом аш-Шараа. Стороны обсудили сотрудничество.")
    assert ru.language == "ru" and {PUTIN, SHARAA, RUSSIA, SYRIA, KREMLIN} <= {e.id for e in ru.entities}
    assert ru.sentiment.method == "lexicon-ru-v1" and ru.relevance.relevant
    en = enricher.enrich("Putin meets Syria's al-Sharaa", "Russian President Vladimir Putin hosted Syrian "
                         "President Ahmed al-Sharaa in Moscow for talks on cooperation.")
    assert en.language == "en" and {PUTIN, SHARAA, RUSSIA, SYRIA, MOSCOW} <= {e.id for e in en.entities}
    assert en.sentiment.method == "vader+lexicon-en-v1"


def test_byline_author_is_not_a_mention(enricher: Enricher) -> None:
    result = enricher.enrich("افتتاح مدرسة", "كتب : فادي الجولاني ... صحيفة الرصد\nافتتحت مدرسة في حمص.")
    assert SHARAA not in {e.id for e in result.entities}
    assert SHARAA in {e.id for e in enricher.enrich("", "وقال الجولاني إن").entities}


def test_tone_is_none_for_an_unmentioned_country(enricher: Enricher) -> None:
    result = enricher.enrich("", "Putin spoke in Moscow about the economy.")
    assert result.tone["Syria"] is None and result.tone["Russia"] is not None
    assert not result.relevance.relevant


def test_language_can_be_forced_or_taken_from_the_feed(enricher: Enricher) -> None:
    assert enricher.enrich("", "Putin", language="ru").language == "ru"
    assert enricher.enrich("", "12:30", prior="ar").language == "ar"
    assert enricher.enrich("", "Путин", language="auto").language == "ru"


def test_load_enricher_is_cached_by_path(enricher: Enricher) -> None:
    assert load_enricher(DEFAULT_SEEDS_DIR) is enricher
    assert load_enricher(DEFAULT_SEEDS_DIR / "." ) is enricher


def test_version_changes_with_the_seed_contents(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    same = build_enricher(seeds)
    assert same.version == ENRICHMENT_VERSION
    lexicon = seeds / "lexicons" / "en.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n  zzzyzzx: 1\n", encoding="utf-8")
    changed = build_enricher(seeds)
    assert changed.version != ENRICHMENT_VERSION
    assert changed.version.split("+")[0] == ENRICHMENT_VERSION.split("+")[0]


def test_bad_seeds_fail_loudly_at_load(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    (seeds / "topics.yaml").write_text("topics:\n  - id: Bad Id\n    label: x\n    keywords: {en: [a]}\n")
    with pytest.raises(SeedError, match=r"topics.yaml:2"):
        build_enricher(seeds)


SCRIPTS = st.sampled_from([
    "بوتين", "وبوتين", "الشرع", "أحمد الشرع", "Путина", "Putin's", "RUSSIA", "سوريّة", "ـــ", "\u064e",
    "لا", "not", "не", ".", "؟", "\n", " ", "3.5", "😀", "ﻻ", "ﷺ", "İ", "ß", "\u200f", "\x00",
])
TEXT = st.one_of(
    st.text(),
    st.lists(SCRIPTS, max_size=40).map(" ".join),
    st.lists(st.one_of(SCRIPTS, st.text(max_size=5)), max_size=30).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=5000).map(lambda s: s.replace(" ", "")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, text=TEXT, language=st.sampled_from([None, "auto", "ar", "ru", "en", "xx"]),
       prior=st.sampled_from([None, "ar", "ru", "en", "", "zz"]))
def test_enrich_never_raises_and_keeps_the_schema(enricher: Enricher, title: str, text: str,
                                                 language: str | None, prior: str | None) -> None:
    result = enricher.enrich(title, text, language=language, prior=prior)
    assert isinstance(result, Enrichment)
    out = result.to_dict()
    assert set(out) == TOP_KEYS and out["language"] in {"ar", "ru", "en"}
    assert -1 <= out["sentiment"]["score"] <= 1 and out["sentiment"]["label"] in {"positive", "neutral", "negative"}
    assert all(v is None or -1 <= v <= 1 for v in out["tone"].values())
    assert 0 <= out["relevance"]["score"] <= 1
    assert all(set(e) >= ENTITY_KEYS and e["count"] >= 1 and e["surfaces"] for e in out["entities"])
    json.dumps(out)


class TaggerStub:
    """Tags Arabic words it knows; raises on a chosen word, like a model failing on one input."""

    def predict(self, sentences: list[list[str]], batch_size: int = 32) -> list[list[str]]:
        if any("انهيار" in s for s in sentences):
            raise RuntimeError("model failure")
        return [["B-PERS" if w in ("كريموف", "بوتين", "Karimov") else "O" for w in s] for s in sentences]


def test_ner_entities_are_added_for_arabic_and_failures_do_not_lose_the_article(enricher: Enricher) -> None:
    with_ner = dataclasses.replace(enricher, ner=TaggerStub())
    hits = {e.id: e for e in with_ner.enrich("", "التقى بوتين السيد كريموف").entities}
    assert set(hits) == {PUTIN, "ner:person:كريموف"}
    assert hits[PUTIN].linked and not hits["ner:person:كريموف"].linked
    # camel-tools' model is Arabic-only: English names come from the English finder, not from the tagger
    assert {e.id for e in with_ner.enrich("", "Putin met Karimov", language="en").entities} == {
        PUTIN, "ner:other:karimov"}
    assert {e.id for e in with_ner.enrich("", "بوتين انهيار").entities} == {PUTIN}
