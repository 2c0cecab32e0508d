"""Arabic proclitics, handled by generating the prefixed forms of each seed word.

Arabic attaches conjunctions (و ف), prepositions (ب ل ك) and the article (ال) to the next word:
وبوتين، لموسكو، بالكرملين، للرئيس. Stripping letters from text tokens to undo this is unsafe —
بوتين itself starts with ب and would become وتين — so instead every alias, keyword and lexicon
word is expanded at load time into the forms it can take, and text tokens are looked up as they
are. The text never loses a letter; the cost is a bigger dictionary, paid once.
"""

from __future__ import annotations

ARTICLE = "ال"
# Order matters: a conjunction comes before a preposition, which comes before the article.
CONJUNCTIONS = ("", "و", "ف")
PREPOSITIONS = ("", "ب", "ل", "ك")
# Shorter keys are too likely to collide with unrelated words once prefixed.
MIN_STEM_LETTERS = 2


def prefixed_forms(word: str, add_article: bool = False) -> list[str]:
    """All clitic-prefixed spellings of a folded Arabic ``word``, without ``word`` itself.

    ``add_article`` also generates the forms with ال added (or removed, if the word has it) for
    common nouns and adjectives in lexicons and topics; names keep the article as written.
    ل followed by ال is written لل: ل + الرئيس -> للرئيس, never لالرئيس.
    """
    if len(word) < MIN_STEM_LETTERS:
        return []
    stems = _stems(word, add_article)
    forms: list[str] = []
    seen = {word}
    for conjunction in CONJUNCTIONS:
        for preposition in PREPOSITIONS:
            for stem in stems:
                form = conjunction + _attach(preposition, stem)
                if form not in seen:
                    seen.add(form)
                    forms.append(form)
    return forms


def has_article(word: str) -> bool:
    return word.startswith(ARTICLE) and len(word) > len(ARTICLE) + 1


def _stems(word: str, add_article: bool) -> list[str]:
    """The word, plus (for common words) its form with the article added or removed."""
    if not add_article:
        return [word]
    if has_article(word):
        return [word, word[len(ARTICLE):]]
    return [word, ARTICLE + word]


def _attach(preposition: str, stem: str) -> str:
    """Join a preposition to a stem, writing ل + ال as لل."""
    if preposition == "ل" and has_article(stem):
        return "ل" + stem[1:]
    return preposition + stem
