"""Normalization shared by seeds and text: camel-tools semantics, whole-string speed, per-script folding."""

from __future__ import annotations

import pytest
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)
from mediawatch.enrich.textnorm import Analyzer, RussianLemmatizer, fold, prepare, strip_byline


def camel_chain(text: str) -> str:
    """The reference: camel-tools' own functions, one after the other, plus tatweel and case."""
    text = normalize_unicode(text)
    text = dediac_ar(text).replace("\u0640", "")
    text = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(text)))
    return text.casefold().replace("ё", "е")


@pytest.mark.parametrize(
    "text",
    [
        "الرَّئِيسُ السُّورِيُّ أَحْمَد الشَّرَع",
        "إلى آل مصطفى ٱلكبرى مدرسة",
        "بوتيـــــن والكرملـين",
        "ﻻ ﷼ ﷽",
        "Ёлка Путин Putin's МОСКВА",
    ],
)
def test_fold_equals_the_camel_tools_chain(text: str) -> None:
    # prepare() also strips English possessives, which the camel chain does not know about.
    assert fold(prepare(text)) == camel_chain(text).replace("'s", "")


def test_fold_keeps_latin_and_cyrillic_unlike_arclean() -> None:
    assert fold("روسيا Russia Россия") == "روسيا russia россия"


def test_alef_ya_teh_marbuta_and_tatweel() -> None:
    assert fold("أحمد إدلب آمن") == "احمد ادلب امن"
    assert fold("مستشفى سوريّة") == "مستشفي سوريه"
    assert fold("بوتيـــن") == "بوتين"


def test_possessive_is_dropped_after_latin_letters_only() -> None:
    assert prepare("Putin’s Kremlin's RUSSIA's") == "Putin Kremlin RUSSIA"
    assert prepare("'s alone") == "'s alone"


def test_analyze_numbers_sentences_and_keeps_surfaces() -> None:
    doc = Analyzer().analyze("Russia, Syria talks", "Prices rose 3.5 percent. Al-Assad left!\nNew line")
    assert doc.title_words == 3 and doc.title_sentences == 1
    assert doc.keys == ["russia", "syria", "talks", "prices", "rose", "3", "5", "percent",
                        "al", "assad", "left", "new", "line"]
    assert doc.sentence_of == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3]
    assert doc.surface(8, 10) == "Al-Assad"
    assert [doc.text_of(r) for r in doc.sentence_ranges()] == [
        "Russia, Syria talks", "Prices rose 3.5 percent", "Al-Assad left", "New line"]


def test_diacritized_word_stays_one_token() -> None:
    doc = Analyzer().analyze("", "قَالَ الرَّئِيسُ")
    assert doc.keys == ["قال", "الرئيس"]
    assert doc.words == ["قَالَ", "الرَّئِيسُ"]


def test_empty_and_whitespace_documents() -> None:
    for title, text in [("", ""), ("   ", "\n\n"), ("...", "!?")]:
        doc = Analyzer().analyze(title, text)
        assert doc.keys == [] and doc.sentence_count == 0 and doc.sentence_ranges() == []


def test_russian_lemmas_prefer_the_seed_vocabulary() -> None:
    lemmatizer = RussianLemmatizer()
    lemmatizer.add_vocabulary(["путин"])
    analyzer = Analyzer(lemmatizer)
    doc = analyzer.analyze("", "Путина, Путину, Путиным; в Москве российские силы. Ещё")
    assert doc.keys == ["путин", "путин", "путин", "в", "москва", "российский", "сила", "еще"]


def test_seed_phrases_fold_like_text() -> None:
    analyzer = Analyzer()
    assert analyzer.phrase_keys("الرئيس السوري أحمد الشرع") == ("الرئيس", "السوري", "احمد", "الشرع")
    assert analyzer.phrase_keys("Bashar al-Assad") == ("bashar", "al", "assad")
    assert analyzer.phrase_keys("Российская Федерация") == ("российский", "федерация")


def test_byline_line_is_dropped_from_the_body() -> None:
    doc = Analyzer().analyze("عنوان", "كتب : فادي الجولاني ... صحيفة الرصد\nقال الوزير")
    assert doc.keys == ["عنوان", "قال", "الوزير"]
    assert strip_byline("Автор: Иван Петров\nТекст") == "Текст"
    # Only an opening line with a colon is a byline; "كتب" inside the story stays.
    assert strip_byline("قال إنه كتب: رسالة") == "قال إنه كتب: رسالة"


def test_unknown_foreign_names_keep_their_seed_form_and_match_inflections() -> None:
    lemmatizer = RussianLemmatizer()
    analyzer = Analyzer(lemmatizer)
    assert analyzer.phrase_keys("Мархаф Абу Касра") == ("мархаф", "абу", "касра")  # guesser would say "каср"
    lemmatizer.add_vocabulary(["мархаф", "абу", "касра"])
    assert analyzer.analyze("", "с Мархафом Абу Касрой, Касры").keys == ["с", "мархаф", "абу", "касра", "касра"]


def test_first_part_of_a_hyphenated_compound_is_not_lemmatized() -> None:
    analyzer = Analyzer()
    assert analyzer.analyze("", "российской военно-морской базы").keys == ["российский", "военно", "морской", "база"]
    assert analyzer.phrase_keys("российско-сирийский") == ("российско", "сирийский")
    assert analyzer.analyze("", "аль-Асада").keys == ["аль", "асад"]
