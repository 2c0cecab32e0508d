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

from . import cache, models, names
from .entities import EntityHit, EntityMatches, Watchlist, match_entities
from .learned import TRAINED_DIR, LearnedModels, models_fingerprint
from .phrases import PhraseIndex
from .relevance import Relevance, country_sides, score_relevance
from .seeds import load_lexicons, load_topics, load_watchlist
from .sentiment import LexiconScorer, Sentiment, SentimentModel, label_for, mean_of, tone
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


def enrichment_version(seeds_dir: Path, learned: bool = True) -> str:
    """Rules, seeds and shipped models: a change to any of them makes stored documents stale.
    ``+lexicon`` marks the enricher without learned models (none shipped, or ``learned=False``)."""
    models_part = (models_fingerprint() if learned else None) or "lexicon"
    return f"{RULES_VERSION}+{seeds_fingerprint(seeds_dir)}+{models_part}"


@dataclass(frozen=True)
class Enrichment:
    language: str
    entities: list[EntityHit]
    sentiment: Sentiment
    tone: dict[str, float | None]
    tone_labels: dict[str, str | None]
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
            "tone_labels": dict(self.tone_labels),
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
    learned: LearnedModels | None = None
    russian_names: names.RussianNames | None = None
    name_models: dict[str, names.NameModel] = field(default_factory=dict)

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
        entities = self.watchlist.hits(doc, matches) + self._unlinked_hits(doc, matches, lang)
        scores = self.sentiment.sentence_scores(doc, lang)
        if self._uses_learned(lang):
            sentiment, tones, labels, topics = self._learned(doc, matches, scores, lang)
        else:
            sentiment, tones, labels, topics = self._lexicon(doc, matches, scores, lang)
        return Enrichment(
            language=lang,
            entities=entities,
            sentiment=sentiment,
            tone=tones,
            tone_labels=labels,
            topics=topics,
            relevance=score_relevance(doc, matches, self.sides),
            enrichment_version=self.version,
        )

    def _uses_learned(self, language: str) -> bool:
        """The learned models, except for Arabic when camel-tools' sentiment model is installed."""
        if self.learned is None or language not in self.learned.tone:
            return False
        return not (language == "ar" and self.sentiment.camel is not None)

    def _learned(self, doc: Doc, matches: EntityMatches, scores: list[float], lang: str):
        learned = self.learned
        assert learned is not None  # _uses_learned checked it
        sides = list(self.sides.items())
        side_tones = {side: learned.side_tone(doc, matches, side, ids, _other(sides, side), scores, lang)
                      for side, ids in sides}
        label, score, features = learned.sentiment_of(doc, mean_of(scores), side_tones, lang)
        sentiment = (Sentiment(label, score, learned.method("sentiment", lang)) if learned.uses("sentiment", lang)
                     else self.sentiment.document(scores, lang))
        topics = (learned.topics_of(features, self.topics.weights_of(doc, lang), self.topics.min_hits, lang)
                  if learned.uses("topics", lang) else self.topics.topics_of(doc, lang))
        return (sentiment,
                {side: t.score for side, t in side_tones.items()},
                {side: t.label for side, t in side_tones.items()}, topics)

    def _lexicon(self, doc: Doc, matches: EntityMatches, scores: list[float], lang: str):
        sentiment = self.sentiment.document(scores, lang)
        tones = {side: tone(scores, matches.by_sentence, ids) for side, ids in self.sides.items()}
        labels = {side: None if value is None else label_for(value, sentiment.method) for side, value in tones.items()}
        return sentiment, tones, labels, self.topics.topics_of(doc, lang)

    def candidate_name_spans(self, doc: Doc, lang: str) -> list[models.NerSpan]:
        """Every span a name finder proposes for ``lang`` (gazetteer, rules, NER models), merged."""
        model = self.name_models.get(lang)
        common = model.common if model else frozenset()
        if lang == "ar":
            spans = names.arabic_spans(doc, common)
            if self.ner is not None:
                spans = models.tag_entities(doc, self.ner) + spans
        elif lang == "ru" and self.russian_names is not None:
            spans = self.russian_names.spans(doc)
        elif lang == "en":
            spans = names.english_spans(doc, common)
        else:
            return []
        return names.merge_spans(model.spans(doc) if model else [], spans)

    def _unlinked_hits(self, doc: Doc, matches: EntityMatches, lang: str) -> list[EntityHit]:
        """Names off the watchlist (see names.py), through the learned span filter where there is
        one; a model failure costs them, not the article."""
        name_of = None
        if lang == "ru":
            lemmatizer = self.analyzer.lemmatizer
            name_of = lambda surface, kind: lemmatizer.nominative(surface, first_only=kind != "person")  # noqa: E731
        try:
            spans = self.candidate_name_spans(doc, lang)
            model = self.name_models.get(lang)
            if model is not None:
                spans = model.keep(doc, spans)
            return models.unlinked_hits(doc, matches, spans, name_of)
        except Exception:
            LOG.warning("name finding failed on one article; keeping watchlist entities only", exc_info=True)
            return []


def _name_models(analyzer: Analyzer) -> dict[str, names.NameModel]:
    loaded = {lang: names.NameModel.load(TRAINED_DIR / f"names-{lang}.json", analyzer) for lang in LANGUAGES}
    return {lang: model for lang, model in loaded.items() if model is not None}


def _other(sides: list[tuple[str, frozenset[str]]], side: str) -> frozenset[str]:
    """Ids of every side but ``side`` (the "other side" marks in tone features)."""
    return frozenset().union(*(ids for name, ids in sides if name != side))


def build_enricher(seeds_dir: Path, camel_data_dir: Path | None = None, *, learned: bool = True) -> Enricher:
    """Load and validate every seed file under ``seeds_dir`` and build the indexes (uncached).

    ``learned=False`` keeps the lexicon method (training and the evaluation's comparison use it)."""
    seeds_dir = Path(seeds_dir)
    analyzer = Analyzer(RussianLemmatizer())
    watchlist = Watchlist.build(load_watchlist(seeds_dir / "entities.yaml", analyzer.phrase_keys), analyzer)
    lexicons = {lang: LexiconScorer.from_seed(seed, analyzer)
                for lang, seed in load_lexicons(seeds_dir / "lexicons").items()}
    topics = TopicRules.build(load_topics(seeds_dir / "topics.yaml"), analyzer)
    analyzer.lemmatizer.add_vocabulary(_russian_vocabulary(watchlist, lexicons, topics))
    trained = LearnedModels.load() if learned else None
    enricher = Enricher(
        analyzer=analyzer,
        watchlist=watchlist,
        sentiment=SentimentModel(lexicons, models.load_sentiment_model(camel_data_dir)),
        topics=topics,
        version=enrichment_version(seeds_dir, trained is not None),
        ner=models.load_ner_model(camel_data_dir),
        learned=trained,
        russian_names=names.RussianNames.load(),
        name_models=_name_models(analyzer),
    )
    LOG.info("enricher loaded from %s: %d entities, %d alias forms, version %s", seeds_dir,
             len(watchlist.entities), len(watchlist.index), enricher.version)
    return enricher


def _russian_vocabulary(watchlist: Watchlist, lexicons: dict[str, LexiconScorer],
                        topics: TopicRules) -> set[str]:
    """Lemmas the seeds use, so an ambiguous Russian word form prefers the seed's reading."""
    indexes: list[PhraseIndex[Any]] = [watchlist.index, *(s.words for s in lexicons.values()),
                                       *topics.indexes.values()]
    return {key for index in indexes for keys in index.phrases() for key in keys if has_cyrillic(key)}


_cache: dict[tuple[Path, Path | None], Enricher] = {}
_cache_lock = threading.Lock()


def load_enricher(seeds_dir: Path, camel_data_dir: Path | None = None) -> Enricher:
    """The enricher for ``seeds_dir``, built on first use and cached by path for the process;
    a new process reads it from the compiled copy on disk (see :mod:`.cache`) when it can."""
    key = (Path(seeds_dir).resolve(), camel_data_dir)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _compiled_enricher(key[0], camel_data_dir)
        return _cache[key]


def _compiled_enricher(seeds_dir: Path, camel_data_dir: Path | None) -> Enricher:
    """:func:`build_enricher` through the on-disk cache; camel-tools' torch models are never pickled."""
    camel = camel_data_dir or models.camel_data_dir()
    if any(models.is_model_dir(camel / sub) for sub in (models.NER_MODEL_SUBDIR, models.SENTIMENT_MODEL_SUBDIR)):
        return build_enricher(seeds_dir, camel_data_dir)
    inputs = [seeds_dir / name for name in SEED_FILES] + sorted(TRAINED_DIR.glob("*.json"))
    key = cache.cache_key(inputs, f"{RULES_VERSION}\0{seeds_dir}")
    return cache.load_or_build(key, lambda: build_enricher(seeds_dir, camel_data_dir))
