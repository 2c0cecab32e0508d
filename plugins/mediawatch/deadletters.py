"""Dead letters: list them, and replay the articles the index refused once the cause is fixed.

Only documents refused for their own content reach ``<prefix>-deadletter`` (a cluster that refuses
writes fails the run instead, see :mod:`mediawatch.writefaults`). Once the cause is gone, for
example a mapping fixed with ``mediawatch setup --migrate``, ``replay`` rebuilds each refused
article from its stored payload, enriches it again with the current enricher, indexes it, and
marks the letter: ``replayed``, ``superseded`` (the article was indexed again since, by a later
run: the newer copy is kept), or ``failed`` with the new reason (the letter stays open). Replayed
and superseded letters are never selected again, so a second replay changes nothing.

Entries rejected before indexing (a feed item without a link) have nothing to index; they are
listed and counted as not replayable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from elasticsearch import Elasticsearch, helpers

from . import store
from .document import article_document, enrich_text
from .records import Article
from .search import since_expression
from .settings import Settings

if TYPE_CHECKING:
    from .enrich import Enricher

log = logging.getLogger(__name__)

LISTED_FIELDS = ["stage", "reason", "error_type", "source", "doc_id", "failed_at", "run_id", "replay_status",
                 "replayed_at", "replay_error"]
# Letters in these states are done with; a failed replay stays open.
CLOSED = ("replayed", "superseded")
_ARTICLE_FIELDS = [f.name for f in fields(Article) if f.name != "enrichment"]
_REQUIRED = {f.name for f in fields(Article) if f.default is MISSING and f.default_factory is MISSING}


@dataclass
class ReplayReport:
    matched: int = 0  # open letters selected by --since / --reason
    replayable: int = 0  # of those, refused articles with their payload
    replayed: int = 0
    superseded: int = 0
    failed: int = 0
    not_replayable: int = 0
    dry_run: bool = False
    enrichment_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def selection_query(since: str | None = None, reason: str | None = None, open_only: bool = False) -> dict[str, Any]:
    """Letters that failed within ``since`` (e.g. ``7d``) whose reason contains the words of ``reason``."""
    filters: list[dict[str, Any]] = []
    if since:
        filters.append({"range": {"failed_at": {"gte": since_expression(since)}}})
    if reason:
        filters.append({"match_phrase": {"reason": reason}})
    must_not = [{"terms": {"replay_status": list(CLOSED)}}] if open_only else []
    return {"bool": {"filter": filters, "must_not": must_not}}


def list_letters(es: Elasticsearch, settings: Settings, since: str | None = None, reason: str | None = None,
                 size: int = 100) -> list[dict[str, Any]]:
    """The newest letters first, without their payload, each with its ``id`` and ``index``."""
    response = es.search(index=settings.index("deadletter"), query=selection_query(since, reason), size=size,
                         sort=[{"failed_at": "desc"}], source_includes=LISTED_FIELDS)
    return [{"id": hit["_id"], "index": hit["_index"], **hit["_source"]} for hit in response["hits"]["hits"]]


def is_replayable(letter: dict[str, Any], settings: Settings) -> bool:
    """An article the articles index refused, with every field an article needs."""
    payload = letter.get("payload")
    return (letter.get("stage") == "index" and isinstance(payload, dict)
            and str(letter.get("source", "")).startswith(settings.index("articles"))
            and payload.keys() >= _REQUIRED)


def article_from_payload(payload: dict[str, Any]) -> Article:
    """The article a refused document was built from (its enrichment is computed again)."""
    return Article(**{name: payload[name] for name in _ARTICLE_FIELDS if name in payload})


def _open_letters(es: Elasticsearch, settings: Settings, since: str | None, reason: str | None
                  ) -> Iterator[dict[str, Any]]:
    query = selection_query(since, reason, open_only=True)
    for hit in helpers.scan(es, index=settings.index("deadletter"), query={"query": query}, size=500):
        yield {"id": hit["_id"], "index": hit["_index"], **hit["_source"]}


def _is_superseded(letter: dict[str, Any], indexed: dict[str, Any] | None) -> bool:
    """The article was indexed again after the letter was written (a later run had it)."""
    if not indexed or not indexed.get("indexed_at"):
        return False
    return datetime.fromisoformat(indexed["indexed_at"]) > datetime.fromisoformat(letter["failed_at"])


def _mark(es: Elasticsearch, letters: list[dict[str, Any]], status: str, run_id: str,
          errors: dict[str, str] | None = None) -> None:
    """Record the replay on each letter, in its own backing index (the alias may have rolled over)."""
    if not letters:
        return
    now = store.now_iso()
    store.update_documents(es, [(letter["index"], letter["id"], {
        "replay_status": status, "replayed_at": now, "replay_run_id": run_id,
        "replay_error": (errors or {}).get(letter["doc_id"])}) for letter in letters])


def _replay_batch(es: Elasticsearch, settings: Settings, letters: list[dict[str, Any]], enricher: Enricher,
                  run_id: str, report: ReplayReport) -> None:
    index = settings.index("articles")
    indexed = store.get_sources(es, index, [letter["doc_id"] for letter in letters], fields=["indexed_at"])
    superseded = [letter for letter in letters if _is_superseded(letter, indexed.get(letter["doc_id"]))]
    closed = {letter["id"] for letter in superseded}
    todo = [letter for letter in letters if letter["id"] not in closed]
    now = store.now_iso()
    actions = []
    for letter in todo:
        article = article_from_payload(letter["payload"])
        article.enrichment = enrich_text(enricher, article.title, article.summary, article.text, article.language)
        actions.append(store.index_action(index, article.id, article_document(article, now)))
    bulk = store.write_bulk(es, actions, settings, run_id=run_id, dead_letters=False)
    errors = {failure["doc_id"]: failure["reason"] for failure in bulk.failed}
    _mark(es, superseded, "superseded", run_id)
    _mark(es, [letter for letter in todo if letter["doc_id"] not in errors], "replayed", run_id)
    _mark(es, [letter for letter in todo if letter["doc_id"] in errors], "failed", run_id, errors)
    report.superseded += len(superseded)
    report.replayed += bulk.written
    report.failed += len(errors)


def replay(es: Elasticsearch, settings: Settings, enricher: Enricher | None = None, since: str | None = None,
           reason: str | None = None, dry_run: bool = False, run_id: str = "") -> ReplayReport:
    """Replay the open letters selected by ``since`` and ``reason``; see the module docstring.

    Raises :class:`~mediawatch.writefaults.WritesRefused` when the cluster refuses the writes
    (the letters stay open).
    """
    report = ReplayReport(dry_run=dry_run)
    letters = list(_open_letters(es, settings, since, reason))
    replayable = [letter for letter in letters if is_replayable(letter, settings)]
    report.matched, report.replayable = len(letters), len(replayable)
    report.not_replayable = len(letters) - len(replayable)
    log.info("dead letters: %d open match, %d replayable%s", report.matched, report.replayable,
             "; dry run, nothing will be written" if dry_run else "")
    if dry_run or not replayable:
        return report
    from .ingest import enricher_for

    enricher = enricher_for(settings, enricher)
    report.enrichment_version = enricher.version
    for start in range(0, len(replayable), settings.bulk_chunk_size):
        _replay_batch(es, settings, replayable[start:start + settings.bulk_chunk_size], enricher, run_id, report)
    es.indices.refresh(index=[settings.index("articles"), settings.index("deadletter")])
    log.info("dead letters: %d replayed, %d superseded, %d refused again", report.replayed, report.superseded,
             report.failed)
    return report
