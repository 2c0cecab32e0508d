"""Language detection: scripts decide, the model arbitrates mixed text, the feed's language breaks ties."""

from __future__ import annotations

import pytest
from mediawatch import language
from mediawatch.language import detect_language, script_counts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("بحث الرئيس الروسي فلاديمير بوتين مع نظيره السوري أحمد الشرع العلاقات الثنائية", "ar"),
        ("Президент России Владимир Путин провёл переговоры с президентом Сирии", "ru"),
        ("Russian President Vladimir Putin held talks with his Syrian counterpart", "en"),
        # A foreign name inside the text does not outvote the script of the sentence.
        ("التقى بوتين مع وفد من شركة Gazprom في موسكو لبحث مشاريع الطاقة في سوريا", "ar"),
        ("Путин встретился с главой Rosatom в Кремле для обсуждения проектов в Сирии", "ru"),
    ],
)
def test_script_majority_decides(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert detect_language(text, prior="en" if expected != "en" else "ar") == expected


def test_script_counts_ignore_digits_punctuation_and_diacritics() -> None:
    assert script_counts("بُوتِين 2025!") == {"ar": 5, "ru": 0, "en": 0}


def test_no_letters_falls_back_to_prior_then_default() -> None:
    assert detect_language("", prior="ru") == "ru"
    assert detect_language("12:30 — 2025", prior="ar") == "ar"
    assert detect_language("") == language.DEFAULT_LANGUAGE


def test_short_mixed_text_takes_the_feed_language() -> None:
    assert detect_language("Putin: Путин", prior="ar") == "ar"


def test_prior_accepts_region_tags_and_ignores_unknown_codes() -> None:
    assert detect_language("", prior="ar-SY") == "ar"
    assert detect_language("", prior="RU_ru") == "ru"
    assert detect_language("", prior="fr") == language.DEFAULT_LANGUAGE


def test_unsure_model_yields_to_prior(monkeypatch: pytest.MonkeyPatch) -> None:
    mixed = "Moscow Москва Damascus Дамаск talks переговоры between между sides сторонами"
    monkeypatch.setattr(language, "_classify", lambda text: ("en", 0.55))
    assert detect_language(mixed, prior="ru") == "ru"
    monkeypatch.setattr(language, "_classify", lambda text: ("en", 0.99))
    assert detect_language(mixed, prior="ru") == "en"


def test_model_arbitrates_mixed_scripts_without_prior() -> None:
    mixed = "Переговоры в Москве прошли, said the Syrian envoy to the press, и стороны подписали договор"
    assert script_counts(mixed)["ru"] / sum(script_counts(mixed).values()) < language.CLEAR_MAJORITY
    assert detect_language(mixed) == "ru"


def test_identifier_is_built_once() -> None:
    assert language._get_identifier() is language._get_identifier()
