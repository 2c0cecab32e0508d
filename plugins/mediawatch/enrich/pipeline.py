"""The enrichment stage: one article in, one :class:`Enrichment` out.

This module only links the stages (language, tokens, entities, sentiment and tone, topics,
relevance); each lives in its own module. Everything expensive — seed validation, alias and
lexicon expansion, phrase indexes, optional camel-tools models — happens once in
:func:`load_enricher`, so :meth:`Enricher.enrich` is a single pass of dict lookups.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediawatch.language import LANGUAGES, detect_language

from . import models
from .entities import EntityHit, EntityMatches, Watchlist, match_entities
from .relevance import Relevance, country_sides, score_relevance
from .seeds import load_lexicons, load_topics, load_watchlist
from .sentiment import LexiconScorer, Sentiment, SentimentModel, tone
from .textnorm import Analyzer, Doc, RussianLemmatizer, has_cyrillic
from .topics import TopicRules

LOG = logging.getLogger(__name__)

# Bump when matching rules or scoring change; seed edits change the hash part by themselves.
RULES_VERSION = "2026.11.1"
SEED_FILES = ("entities.yaml", "topics.yaml", "lexicons/ar.yaml", "lexicons/ru.yaml", "lexicons/en.yaml")


def seeds_fingerprint(seeds_dir: Path) -> str:
    """Short hash of the seed files' contents: a changed alias or lexicon weight changes it."""
    digest = hashlib.sha256()
    for name in SEED_FILES:
        path = Path(seeds_dir) / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()[:8]


def enrichment_version(seeds_dir: Path) -> str:
    return f"{RULES_VERSION}+{seeds_fingerprint(seeds_dir)}"


@dataclass(frozen=True)
class Enrichment:
    language: str
    entities: list[EntityHit]
    sentiment: Sentiment
    tone: dict[str, float | None]
    topics: list[str]
    relevance: Relevance
    enrichment_version: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract stored with every document and printed by ``mediawatch enrich``."""
        return {
            "language": self.language,
            "entities": [e.to_dict() for e in self.entities],
            "sentiment": self.sentiment.to_dict(),
            "tone": dict(self.tone),
            "topics": list(self.topics),
            "relevance": self.relevance.to_dict(),
            "enrichment_version": self.enrichment_version,
        }


@dataclass
class Enricher:
    """Holds the loaded seeds and models; :meth:`enrich` is pure and thread-safe to call."""

    analyzer: Analyzer
    watchlist: Watchlist
    sentiment: SentimentModel
    topics: TopicRules
    version: str
    sides: dict[str, frozenset[str]] = field(default_factory=dict)
    ner: models.TokenTagger | None = None

    def __post_init__(self) -> None:
        if not self.sides:
            self.sides = country_sides(self.watchlist.entities.values())

    def enrich(self, title: str, text: str, language: str | None = None,
               prior: str | None = None) -> Enrichment:
        """Enrich one article; ``language`` forces the language ("auto"/None detects it, with the
        feed's language ``prior`` as the tie-breaker)."""
        title, text = title or "", text or ""
        lang = language if language in LANGUAGES else detect_language(f"{title}\n{text}", prior)
        doc = self.analyzer.analyze(title, text)
        matches = match_entities(doc, self.watchlist)
        entities = self.watchlist.hits(doc, matches)
        if self.ner is not None and lang == "ar":
            entities += self._ner_hits(doc, matches)
        scores = self.sentiment.sentence_scores(doc, lang)
        return Enrichment(
            language=lang,
            entities=entities,
            sentiment=self.sentiment.document(scores, lang),
            tone={side: tone(scores, matches.by_sentence, ids) for side, ids in self.sides.items()},
            topics=self.topics.topics_of(doc, lang),
            relevance=score_relevance(doc, matches, self.sides),
            enrichment_version=self.version,
        )

    def _ner_hits(self, doc: Doc, matches: EntityMatches) -> list[EntityHit]:
        """Unlinked entities from camel-tools NER; a model failure costs them, not the article."""
        try:
            return models.unlinked_hits(doc, matches, models.tag_entities(doc, self.ner))
        except Exception:
            LOG.warning("camel-tools NER failed on one article; keeping watchlist entities only", exc_info=True)
            return []


def build_enricher(seeds_dir: Path, camel_data_dir: Path | None = None) -> Enricher:
    """Load and validate every seed file under ``seeds_dir`` and build the indexes (uncached)."""
    seeds_dir = Path(seeds_dir)
    analyzer = Analyzer(RussianLemmatizer())
    watchlist = Watchlist.build(load_watchlist(seeds_dir / "entities.yaml", analyzer.phrase_keys), analyzer)
    lexicons = {lang: LexiconScorer.from_seed(seed, analyzer)
                for lang, seed in load_lexicons(seeds_dir / "lexicons").items()}
    topics = TopicRules.build(load_topics(seeds_dir / "topics.yaml"), analyzer)
    analyzer.lemmatizer.add_vocabulary(_russian_vocabulary(watchlist, lexicons, topics))
    enricher = Enricher(
        analyzer=analyzer,
        watchlist=watchlist,
        sentiment=SentimentModel(lexicons, models.load_sentiment_model(camel_data_dir)),
        topics=topics,
        version=enrichment_version(seeds_dir),
        ner=models.load_ner_model(camel_data_dir),
    )
    LOG.info("enricher loaded from %s: %d entities, %d alias forms, version %s", seeds_dir,
             len(watchlist.entities), len(watchlist.index), enricher.version)
    return enricher


def _russian_vocabulary(watchlist: Watchlist, lexicons: dict[str, LexiconScorer],
                        topics: TopicRules) -> set[str]:
    """Lemmas the seeds use, so an ambiguous Russian word form prefers the seed's reading."""
    indexes = [watchlist.index, *(s.words for s in lexicons.values()), *topics.indexes.values()]
    return {key for index in indexes for keys in index.phrases() for key in keys if has_cyrillic(key)}


_cache: dict[tuple[Path, Path | None], Enricher] = {}
_cache_lock = threading.Lock()


def load_enricher(seeds_dir: Path, camel_data_dir: Path | None = None) -> Enricher:
    """The enricher for ``seeds_dir``, built on first use and cached by path for the process."""
    key = (Path(seeds_dir).resolve(), camel_data_dir)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build_enricher(key[0], camel_data_dir)
        return _cache[key]
