"""Topic rules from seeds/topics.yaml: a topic is assigned when enough distinct keywords occur.

Keywords of the article's language only are used (a Russian keyword says nothing about an
Arabic article). Arabic keywords get their clitic and article forms, Russian keywords are
lemmatized like the text, English keywords get their plurals. A keyword seen in the title
counts double: titles state the story's theme.
"""

from __future__ import annotations

from collections.abc import Iterable

from .english import plural_forms
from .phrases import PhraseIndex, PhraseTable, merge_tuples
from .seeds import TopicSeed
from .textnorm import Analyzer, Doc

TITLE_WEIGHT = 2
# (topic id, keyword number within the topic): identifies a distinct keyword.
KeywordRef = tuple[str, int]


class TopicRules:
    def __init__(self, order: list[str], min_hits: dict[str, int], indexes: dict[str, PhraseIndex]) -> None:
        self.order = order
        self.min_hits = min_hits
        self.indexes = indexes

    @classmethod
    def build(cls, topics: Iterable[TopicSeed], analyzer: Analyzer) -> TopicRules:
        topics = list(topics)
        indexes = {lang: _language_index(topics, lang, analyzer) for lang in ("ar", "ru", "en")}
        return cls([t.id for t in topics], {t.id: t.min_hits for t in topics}, indexes)

    def weights_of(self, doc: Doc, language: str) -> dict[str, int]:
        """Per topic, the summed weight of its distinct keywords found (title hits count double)."""
        index = self.indexes.get(language)
        if index is None:
            return {}
        totals: dict[str, int] = {}
        for (topic, _), weight in _keyword_weights(doc, index).items():
            totals[topic] = totals.get(topic, 0) + weight
        return totals

    def topics_of(self, doc: Doc, language: str) -> list[str]:
        """Topic ids whose distinct keyword weight reaches ``min_hits``, in topics.yaml order."""
        totals = self.weights_of(doc, language)
        return [t for t in self.order if totals.get(t, 0) >= self.min_hits[t]]


def _language_index(topics: list[TopicSeed], lang: str, analyzer: Analyzer) -> PhraseIndex:
    table: PhraseTable[tuple[KeywordRef, ...]] = PhraseTable(merge_tuples)
    english = plural_forms if lang == "en" else None
    for topic in topics:
        for number, keyword in enumerate(getattr(topic.keywords, lang)):
            table.put_with_variants(analyzer.phrase_keys(keyword), ((topic.id, number),),
                                    add_article=True, english=english)
    return table.index()


def _keyword_weights(doc: Doc, index: PhraseIndex) -> dict[KeywordRef, int]:
    """Each distinct keyword found, weighted TITLE_WEIGHT if it occurs in the title, else 1."""
    weights: dict[KeywordRef, int] = {}
    for match in index.find_all(doc.keys):
        weight = TITLE_WEIGHT if match.start < doc.title_words else 1
        for ref in match.payload:
            weights[ref] = max(weights.get(ref, 0), weight)
    return weights
