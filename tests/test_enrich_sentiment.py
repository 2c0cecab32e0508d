"""Lexicon sentiment with negation and intensifiers, per-sentence scores, tone toward each side."""

from __future__ import annotations

import pytest
from mediawatch.enrich.seeds import LexiconSeed
from mediawatch.enrich.sentiment import (
    NEGATION_SCALAR,
    LexiconScorer,
    SentimentModel,
    label_for,
    normalize_total,
    tone,
)
from mediawatch.enrich.textnorm import Analyzer, RussianLemmatizer

AR = LexiconSeed(language="ar", negators=("لا", "لم", "غير"), intensifiers={"جدا": 1.5, "كبير": 1.3},
                 diminishers={"نسبيا": 0.5},
                 words={"تعاون": 2, "إيجابي": 1.5, "قصف": -2.5, "مثمر": 2, "وقف إطلاق النار": 1.5})
RU = LexiconSeed(language="ru", negators=("не", "нет"), intensifiers={"очень": 1.5},
                 words={"сотрудничество": 2, "успешный": 2, "удар": -2, "обстрел": -2.5})
EN = LexiconSeed(language="en", negators=("not", "no", "never"), intensifiers={"very": 1.5},
                 words={"cooperation": 2, "attack": -2.5, "fruitful": 2})


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(RussianLemmatizer())


@pytest.fixture(scope="module")
def model(analyzer: Analyzer) -> SentimentModel:
    lexicons = {s.language: LexiconScorer.from_seed(s, analyzer) for s in (AR, RU, EN)}
    analyzer.lemmatizer.add_vocabulary(k for keys in lexicons["ru"].words.phrases() for k in keys)
    return SentimentModel(lexicons)


def totals(model: SentimentModel, analyzer: Analyzer, lang: str, text: str) -> list[float]:
    return model.lexicons[lang].sentence_totals(analyzer.analyze("", text))


def test_arabic_words_found_through_clitic_and_article_forms(model, analyzer) -> None:
    assert totals(model, analyzer, "ar", "وبالتعاون والتعاون للتعاون") == [6.0]
    assert totals(model, analyzer, "ar", "والقصف") == [-2.5]
    assert totals(model, analyzer, "ar", "اتفاق لوقف إطلاق النار") == [1.5]


def test_negation_flips_and_dampens(model, analyzer) -> None:
    assert totals(model, analyzer, "ar", "كان اللقاء مثمرا") == [0.0]  # مثمرا is not listed: no guess
    assert totals(model, analyzer, "ar", "اللقاء مثمر") == [2.0]
    assert totals(model, analyzer, "ar", "لم يكن اللقاء مثمر") == [pytest.approx(2.0 * NEGATION_SCALAR)]
    assert totals(model, analyzer, "ar", "ولم يكن اللقاء مثمر") == [pytest.approx(2.0 * NEGATION_SCALAR)]
    assert totals(model, analyzer, "ru", "переговоры не были успешными") == [pytest.approx(2.0 * NEGATION_SCALAR)]
    assert totals(model, analyzer, "en", "this was not a fruitful meeting") == [pytest.approx(2.0 * NEGATION_SCALAR)]
    assert totals(model, analyzer, "en", "they didn't attack") == [pytest.approx(-2.5 * NEGATION_SCALAR)]


def test_negator_further_than_three_tokens_or_in_another_sentence_does_not_count(model, analyzer) -> None:
    assert totals(model, analyzer, "ar", "لم يحدث ذلك في اللقاء المثمر") == [2.0]
    assert totals(model, analyzer, "en", "No. Fruitful talks") == [0.0, 2.0]


def test_intensifiers_before_and_after_and_diminishers(model, analyzer) -> None:
    assert totals(model, analyzer, "ar", "تعاون كبير") == [pytest.approx(2.6)]
    assert totals(model, analyzer, "ar", "مثمر جدا") == [pytest.approx(3.0)]
    assert totals(model, analyzer, "ar", "إيجابي نسبيا") == [pytest.approx(0.75)]
    assert totals(model, analyzer, "ru", "очень успешные переговоры") == [pytest.approx(3.0)]
    assert totals(model, analyzer, "en", "very fruitful") == [pytest.approx(3.0)]


def test_russian_matches_lemmas(model, analyzer) -> None:
    assert totals(model, analyzer, "ru", "Сотрудничества и сотрудничеству, обстрелы и удары") == [
        pytest.approx(2 + 2 - 2.5 - 2)]


def test_english_inflections_and_vader(model, analyzer) -> None:
    assert totals(model, analyzer, "en", "Attacks, attacked, attacking") == [-7.5]
    doc = analyzer.analyze("", "Fruitful cooperation and great progress. Terrible attacks killed dozens.")
    scores = model.sentence_scores(doc, "en")
    assert scores[0] > 0.5 and scores[1] < -0.5
    assert model.document(scores, "en").method == "vader+lexicon-en-v1"


def test_scores_are_bounded_and_labelled(model, analyzer) -> None:
    doc = analyzer.analyze("تعاون مثمر", "تعاون تعاون تعاون مثمر مثمر جدا. قصف.")
    scores = model.sentence_scores(doc, "ar")
    assert all(-1 <= s <= 1 for s in scores) and scores[0] > 0 and scores[2] < 0
    sentiment = model.document(scores, "ar")
    assert sentiment.method == "lexicon-ar-v1" and sentiment.label == "positive"
    assert normalize_total(0) == 0.0 and normalize_total(1000) < 1.0
    assert label_for(0.0, "lexicon-ar-v1") == "neutral"
    assert label_for(-0.9, "lexicon-ar-v1") == "negative" and label_for(0.9, "lexicon-ar-v1") == "positive"


def test_empty_document_is_neutral(model, analyzer) -> None:
    doc = analyzer.analyze("", "")
    assert model.sentence_scores(doc, "ar") == []
    assert model.document([], "ar").label == "neutral"


def test_tone_is_the_mean_over_sentences_mentioning_each_side() -> None:
    scores = [0.5, -0.8, 0.0, 0.3]
    by_sentence = [frozenset({"Q159"}), frozenset({"Q858", "mw:assad"}), frozenset(), frozenset({"Q7747"})]
    russia, syria = frozenset({"Q159", "Q7747"}), frozenset({"Q858", "mw:assad"})
    assert tone(scores, by_sentence, russia) == pytest.approx(0.4)
    assert tone(scores, by_sentence, syria) == pytest.approx(-0.8)
    assert tone(scores, by_sentence, frozenset({"Q30"})) is None


class FakeCamel:
    def predict(self, sentences: list[str], batch_size: int = 32) -> list[str]:
        return ["positive" if "تعاون" in s else "negative" if "قصف" in s else "neutral" for s in sentences]


def test_camel_model_replaces_the_arabic_lexicon_when_installed(model, analyzer) -> None:
    with_camel = SentimentModel(model.lexicons, camel=FakeCamel())
    doc = analyzer.analyze("", "تعاون. قصف. طقس")
    assert with_camel.sentence_scores(doc, "ar") == [1.0, -1.0, 0.0]
    assert with_camel.method_for("ar") == "camel-sentiment-bert"
    assert with_camel.method_for("ru") == "lexicon-ru-v1"
