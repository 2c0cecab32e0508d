"""Topic rules: distinct keywords per language, clitic/plural/lemma forms, title hits double."""

from __future__ import annotations

import pytest
from mediawatch.enrich.seeds import Names, TopicSeed
from mediawatch.enrich.textnorm import Analyzer, RussianLemmatizer
from mediawatch.enrich.topics import TopicRules

TOPICS = [
    TopicSeed(id="military", label="Military", min_hits=2,
              keywords=Names(ar=("قاعدة عسكرية", "قوات", "غارة"), ru=("военная база", "авиаудар"),
                             en=("air base", "troop", "airstrike"))),
    TopicSeed(id="economy", label="Economy", min_hits=2,
              keywords=Names(ar=("اقتصاد", "استثمار", "تجارة"), ru=("экономика", "инвестиция"),
                             en=("economy", "investment", "trade"))),
    TopicSeed(id="refugees", label="Refugees", min_hits=1, keywords=Names(en=("refugee",))),
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(RussianLemmatizer())


@pytest.fixture(scope="module")
def rules(analyzer: Analyzer) -> TopicRules:
    built = TopicRules.build(TOPICS, analyzer)
    analyzer.lemmatizer.add_vocabulary(k for keys in built.indexes["ru"].phrases() for k in keys)
    return built


def topics(rules: TopicRules, analyzer: Analyzer, lang: str, text: str, title: str = "") -> list[str]:
    return rules.topics_of(analyzer.analyze(title, text), lang)


def test_two_distinct_keywords_are_needed(rules, analyzer) -> None:
    assert topics(rules, analyzer, "ar", "نشرت القوات في القاعدة العسكرية") == ["military"]
    assert topics(rules, analyzer, "ar", "القوات والقوات وللقوات") == []


def test_arabic_keywords_match_with_clitics_and_article(rules, analyzer) -> None:
    assert topics(rules, analyzer, "ar", "لدعم الاقتصاد وبالاستثمار والتجارة") == ["economy"]


def test_title_hits_count_double(rules, analyzer) -> None:
    assert topics(rules, analyzer, "ar", "خبر قصير", title="غارة جديدة") == ["military"]
    assert topics(rules, analyzer, "ar", "غارة جديدة", title="خبر قصير") == []


def test_russian_keywords_match_lemmas(rules, analyzer) -> None:
    assert topics(rules, analyzer, "ru", "на военной базе после авиаударов") == ["military"]
    assert topics(rules, analyzer, "ru", "Экономики и инвестиций") == ["economy"]


def test_english_plurals_and_phrases(rules, analyzer) -> None:
    assert topics(rules, analyzer, "en", "Troops returned to the air base") == ["military"]
    assert topics(rules, analyzer, "en", "Investments and trade") == ["economy"]
    assert topics(rules, analyzer, "en", "Refugees crossed the border") == ["refugees"]


def test_only_the_article_language_keywords_count(rules, analyzer) -> None:
    assert topics(rules, analyzer, "ar", "economy investment trade") == []
    assert topics(rules, analyzer, "xx", "economy investment") == []


def test_output_follows_seed_order(rules, analyzer) -> None:
    text = "refugee economy and trade, troops at the air base"
    assert topics(rules, analyzer, "en", text) == ["military", "economy", "refugees"]
