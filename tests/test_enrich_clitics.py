"""Arabic clitic forms are generated from seed words; text tokens never lose letters."""

from __future__ import annotations

from mediawatch.enrich.clitics import prefixed_forms


def test_name_without_article_gets_conjunction_and_preposition_forms() -> None:
    forms = prefixed_forms("بوتين")
    for form in ["وبوتين", "فبوتين", "لبوتين", "ببوتين", "كبوتين", "وببوتين", "ولبوتين", "فكبوتين"]:
        assert form in forms
    assert "البوتين" not in forms  # names keep the article only when the seed writes it
    assert "بوتين" not in forms  # the bare form is the seed itself


def test_lam_before_the_article_is_written_double_lam() -> None:
    forms = prefixed_forms("الاسد")
    assert {"والاسد", "بالاسد", "للاسد", "وللاسد", "فبالاسد", "كالاسد"} <= set(forms)
    assert "لالاسد" not in forms


def test_common_words_get_the_article_added_or_removed() -> None:
    assert {"الاقتصاد", "للاقتصاد", "وبالاقتصاد", "لاقتصاد"} <= set(prefixed_forms("اقتصاد", add_article=True))
    assert {"قوات", "بقوات", "للقوات"} <= set(prefixed_forms("القوات", add_article=True))


def test_no_form_ever_drops_a_letter_of_the_word() -> None:
    for word in ["بوتين", "الاسد", "موسكو", "لافروف"]:
        assert all(form.endswith(word[2:] if word.startswith("ال") else word) for form in prefixed_forms(word))
    assert "وتين" not in prefixed_forms("بوتين")


def test_forms_are_distinct_and_short_words_get_none() -> None:
    forms = prefixed_forms("سوريا", add_article=True)
    assert len(forms) == len(set(forms))
    assert prefixed_forms("ب") == []
