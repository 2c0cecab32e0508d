"""camel-tools' Arabic NER and sentiment models: used when their data is installed, skipped when not.

Importing ``camel_tools.ner`` or ``camel_tools.sentiment`` loads camel-tools' data catalogue and
raises offline, and both need torch. So the model directory is checked on disk first, the import
happens only then, and any failure is logged once and leaves the lexicon/watchlist path in charge.
The data directory follows camel-tools' own convention: ``$CAMELTOOLS_DATA`` or ``~/.camel_tools``,
with each model under ``data/<destination>`` as named in camel-tools' catalogue (1.6).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .entities import EntityHit, EntityMatches
from .textnorm import Doc

LOG = logging.getLogger(__name__)

# Destinations from camel-tools-data catalogue-1.6.json: NamedEntityRecognition/arabert and
# SentimentAnalysis/arabert.
NER_MODEL_SUBDIR = Path("data", "ner", "arabert")
SENTIMENT_MODEL_SUBDIR = Path("data", "sentiment_analysis", "arabert")
NER_MISSING = "camel-tools NER model not installed; using the watchlist only"
SENTIMENT_MISSING = "camel-tools sentiment model not installed; using the Arabic lexicon"
# camel-tools' NER labels (NERecognizer.labels()) to our entity types; MISC is not kept.
NER_TYPES = {"PERS": "person", "ORG": "organization", "LOC": "location"}

_already_said: set[str] = set()


class TokenTagger(Protocol):
    """What we use of camel_tools.ner.NERecognizer."""

    def predict(self, sentences: list[list[str]], batch_size: int = 32) -> list[list[str]]: ...


class SentenceClassifier(Protocol):
    """What we use of camel_tools.sentiment.SentimentAnalyzer."""

    def predict(self, sentences: list[str], batch_size: int = 32) -> list[str]: ...


def say_once(message: str, level: int = logging.INFO) -> None:
    """Log ``message`` the first time only: a missing model is news once per process, not per article."""
    if message not in _already_said:
        _already_said.add(message)
        LOG.log(level, message)


def camel_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    configured = environ.get("CAMELTOOLS_DATA")
    return Path(configured).expanduser() if configured else Path.home() / ".camel_tools"


def is_model_dir(path: Path) -> bool:
    """A Hugging Face model directory as camel-tools ships them: config plus vocabulary."""
    return (path / "config.json").is_file() and (path / "vocab.txt").is_file()


def _load_model(name: str, subdir: Path, data_dir: Path | None, missing: str, fallback: str,
                make: Callable[[str], Any]):
    """``make(path)`` on the installed model, or None, said once, when it is absent or unusable."""
    path = (data_dir or camel_data_dir()) / subdir
    if not is_model_dir(path):
        say_once(missing)
        return None
    try:
        return make(str(path))
    except Exception as exc:  # DownloaderError, ImportError (torch), OSError (bad files)...
        say_once(f"camel-tools {name} model at {path} not usable ({exc!r}); {fallback}", logging.WARNING)
        return None


def _ner_recognizer(path: str) -> TokenTagger:
    from camel_tools.ner import NERecognizer

    return NERecognizer(path, use_gpu=False)


def _sentiment_analyzer(path: str) -> SentenceClassifier:
    from camel_tools.sentiment import SentimentAnalyzer

    return SentimentAnalyzer(path, use_gpu=False)


def load_ner_model(data_dir: Path | None = None) -> TokenTagger | None:
    """camel-tools' NERecognizer on the installed model, or None (logged once) when unavailable."""
    return _load_model("NER", NER_MODEL_SUBDIR, data_dir, NER_MISSING, "using the watchlist only", _ner_recognizer)


def load_sentiment_model(data_dir: Path | None = None) -> SentenceClassifier | None:
    """camel-tools' SentimentAnalyzer on the installed model, or None (logged once)."""
    return _load_model("sentiment", SENTIMENT_MODEL_SUBDIR, data_dir, SENTIMENT_MISSING, "using the Arabic lexicon",
                       _sentiment_analyzer)


# --- NER output merged with the watchlist -------------------------------------------------


@dataclass(frozen=True, slots=True)
class NerSpan:
    start: int
    end: int
    type: str


def tag_entities(doc: Doc, tagger: TokenTagger) -> list[NerSpan]:
    """Run the tagger sentence by sentence and turn its BIO labels into typed spans."""
    ranges = doc.sentence_ranges()
    if not ranges:
        return []
    labels = tagger.predict([[doc.words[i] for i in r] for r in ranges])
    spans: list[NerSpan] = []
    for word_range, sentence_labels in zip(ranges, labels, strict=False):
        spans.extend(bio_spans(sentence_labels, offset=word_range.start))
    return spans


def bio_spans(labels: Sequence[str], offset: int = 0) -> list[NerSpan]:
    """Spans from BIO labels; a stray I- starts a span, MISC and unknown types are dropped."""
    spans: list[NerSpan] = []
    start, kind = 0, None
    for i, label in enumerate([*labels, "O"]):
        prefix, _, tag = label.partition("-")
        if kind is not None and (prefix != "I" or tag != kind):
            spans.append(NerSpan(offset + start, offset + i, NER_TYPES[kind]))
            start, kind = 0, None
        if prefix in ("B", "I") and kind is None and tag in NER_TYPES:
            start, kind = i, tag
    return spans


def unlinked_hits(doc: Doc, matches: EntityMatches, spans: Sequence[NerSpan],
                  name_of: Callable[[str, str], str] | None = None) -> list[EntityHit]:
    """NER spans that overlap no watchlist span, as unlinked entities ``ner:<type>:<folded text>``;
    ``name_of(surface, type)`` gives the display name (default: the first surface seen)."""
    covered: set[int] = set()
    for linked in matches.spans:
        covered.update(range(linked.start, linked.end))
    found: dict[str, tuple[str, int, dict[str, None]]] = {}
    for span in spans:
        overlap = covered.intersection(range(span.start, span.end))
        if overlap:  # keep what follows the watchlist's part: "British" + "Boris Johnson"
            span = NerSpan(max(overlap) + 1, span.end, span.type)
            if span.start >= span.end:
                continue
        entity_id = f"ner:{span.type}:{' '.join(doc.keys[span.start:span.end])}"
        kind, count, surfaces = found.get(entity_id, (span.type, 0, {}))
        surfaces[doc.surface(span.start, span.end)] = None
        found[entity_id] = (kind, count + 1, surfaces)
    name_of = name_of or (lambda surface, _type: surface)
    return [
        EntityHit(eid, name_of(next(iter(surf)), kind), kind, count, tuple(surf), linked=False)
        for eid, (kind, count, surf) in found.items()
    ]
