"""Elasticsearch I/O: the client, bulk writes that report each document, dead letters, state.

Turning a record into a bulk action is a pure function; the writer streams actions, retries
what the cluster refuses (429, write blocks, 5xx) with doubling backoff (elasticsearch-py's
``streaming_bulk``) and sorts every failed item by fault (``writefaults``): a document the
index refuses for its content becomes a dead letter with the reason and the original payload,
so it never fails its batch; a refusal by the cluster that outlasts the retries raises
:class:`WritesRefused` and leaves no dead letter, since a later run redoes the whole feed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from queue import Queue
from typing import Any

from elasticsearch import ApiError, Elasticsearch, helpers
from elasticsearch import ConnectionError as ESConnectionError

from .records import Rejected
from .settings import Settings
from .writefaults import (
    RETRY_STATUSES,
    StoreUnavailable,
    WritesRefused,
    describe_refusal,
    is_document_fault,
    item_error,
)

log = logging.getLogger(__name__)

# Operations whose ``_source`` is the document, encoded ahead of the bulk request (write_bulk).
_SOURCE_OPS = ("index", "create")


def make_client(settings: Settings) -> Elasticsearch:
    """A client that verifies TLS by default and accepts a CA file."""
    # 429 is left to the bulk helper, which backs off (1 s, 2 s, 4 s...); the transport would
    # retry it at once, and against a single node that is no pause at all.
    options: dict[str, Any] = {"request_timeout": settings.es_timeout_s, "retry_on_timeout": True,
                               "max_retries": 3, "retry_on_status": (502, 503, 504),
                               "verify_certs": settings.es_verify_certs}
    if settings.es_user:
        options["basic_auth"] = (settings.es_user, settings.es_password)
    if settings.es_ca_file:
        options["ca_certs"] = settings.es_ca_file
    return Elasticsearch(settings.es_url, **options)


def check_reachable(es: Elasticsearch, settings: Settings) -> str:
    """Fail fast with the URL and the cause; returns the server version."""
    try:
        nodes = es.nodes.info(node_id="_local", metric="_none")
    except ESConnectionError as exc:
        raise StoreUnavailable(f"Elasticsearch at {settings.es_url_for_logs} is unreachable: {exc}") from exc
    except Exception as exc:  # auth errors, TLS errors: same message shape
        raise StoreUnavailable(f"Elasticsearch at {settings.es_url_for_logs} refused us: {exc}") from exc
    return next(iter(nodes["nodes"].values()))["version"]


def connect(settings: Settings) -> Elasticsearch:
    """A checked client: the node's version and URL (never credentials) are logged; fails fast."""
    es = make_client(settings)
    log.info("Elasticsearch %s at %s", check_reachable(es, settings), settings.es_url_for_logs)
    return es


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class BulkReport:
    written: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


def index_action(index: str, doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """A bulk ``index`` action: deterministic id, so a re-run replaces rather than duplicates."""
    return {"_op_type": "index", "_index": index, "_id": doc_id, "_source": source}


def _item_reason(item: dict[str, Any]) -> tuple[str, str]:
    _, error_type, reason = item_error(item)
    return error_type, reason


def refusal_of(item: dict[str, Any], retries: int = 0) -> WritesRefused | None:
    """The cluster's refusal of a failed bulk item, or None when the document is at fault."""
    status, error_type, reason = item_error(item)
    if is_document_fault(status, error_type, reason, whole_request="exception" in item):
        return None
    after = f" (after {retries} retries)" if retries else ""
    return WritesRefused(describe_refusal(status, error_type, reason, item.get("_index", "")) + after)


def _with_encoded_source(action: dict[str, Any], dumps: Callable[[Any], bytes]) -> dict[str, Any]:
    """The action with its ``_source`` as JSON bytes, which the bulk helper sends unchanged."""
    if action.get("_op_type", "index") in _SOURCE_OPS and isinstance(action.get("_source"), Mapping):
        return {**action, "_source": dumps(action["_source"])}
    return action


def _prepared(actions: Iterable[dict[str, Any]], dumps: Callable[[Any], bytes]) -> list[tuple[dict, dict]]:
    return [(action, _with_encoded_source(action, dumps)) for action in actions]


def _acquire(permits: threading.Semaphore, stop: threading.Event) -> bool:
    while not stop.is_set():
        if permits.acquire(timeout=0.2):
            return True
    return False


def _prepared_ahead(actions: Iterable[dict[str, Any]], dumps: Callable[[Any], bytes],
                    batch: int) -> Generator[tuple[dict[str, Any], dict[str, Any]], None, None]:
    """``(action, action with encoded source)`` pairs; past the first request, made by a thread meanwhile.

    The first ``batch`` is made here. Only when more follows is there a request to overlap with:
    a thread then makes each next batch while the one before is being indexed. It may start a
    batch when this generator hands out the first action of the previous one, which is when the
    bulk helper, its chunk full, sends the request before; so the encoding runs while the node
    works, not while this thread needs the GIL to build requests and read responses. An exception
    raised while making them is raised here; a consumer that stops early stops the thread.
    """
    remaining = iter(actions)
    first = _prepared(islice(remaining, batch), dumps)
    if len(first) < batch:
        yield from first
        return
    ready: Queue = Queue()
    permits = threading.Semaphore(1)
    stop = threading.Event()

    def produce() -> None:
        try:
            while _acquire(permits, stop) and (chunk := _prepared(islice(remaining, batch), dumps)):
                ready.put(chunk)
            ready.put(None)
        except BaseException as exc:  # raised again in the consumer
            ready.put(exc)

    threading.Thread(target=produce, name="bulk-prepare", daemon=True).start()
    try:
        yield from first
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            permits.release()  # the request before this batch goes out now: make the next one meanwhile
            yield from item
    finally:
        stop.set()


def write_bulk(es: Elasticsearch, actions: Iterable[dict[str, Any]], settings: Settings,
               run_id: str = "", refresh: bool = False, dead_letters: bool = True) -> BulkReport:
    """Stream actions; documents refused for their content become dead letters (unless
    ``dead_letters`` is False: then they are only reported).

    Raises :class:`WritesRefused` at the first item the cluster still refuses after the retries
    (nothing more is sent, no dead letter is written) and :class:`StoreUnavailable` when the
    node cannot be reached.
    """
    report = BulkReport()
    by_id: dict[str, dict[str, Any]] = {}
    dumps = es.transport.serializers.get_serializer("application/json").dumps
    prepared = _prepared_ahead(actions, dumps, settings.bulk_chunk_size)

    def remember() -> Iterator[dict[str, Any]]:
        for action, ready in prepared:
            by_id[action["_id"]] = action
            yield ready

    try:
        for ok, result in helpers.streaming_bulk(
            es, remember(), chunk_size=settings.bulk_chunk_size, max_retries=settings.bulk_max_retries,
            initial_backoff=1, max_backoff=30, retry_on_status=RETRY_STATUSES, raise_on_error=False,
            raise_on_exception=False, refresh="wait_for" if refresh else False,
        ):
            item = next(iter(result.values()))
            action = by_id.pop(item.get("_id"), None)
            if ok:
                report.written += 1
                continue
            refused = refusal_of(item, settings.bulk_max_retries)
            if refused:
                log.debug("bulk: %s; %d written before, stopping this write", refused, report.written)
                raise refused
            error_type, reason = _item_reason(item)
            report.failed.append({"stage": "index", "reason": reason, "error_type": error_type,
                                  "doc_id": item.get("_id"), "index": item.get("_index"),
                                  "payload": action.get("_source") if action else None})
    except ESConnectionError as exc:
        raise StoreUnavailable(
            f"Elasticsearch at {settings.es_url_for_logs} went away during a bulk write: {exc}") from exc
    finally:
        prepared.close()  # stops the preparing thread when the write ends early
    if report.failed:
        log.warning("bulk: %d written, %d rejected for their content%s", report.written, len(report.failed),
                    " (sent to dead letters)" if dead_letters else "")
        if dead_letters:
            write_dead_letters(es, settings, report.failed, run_id)
    return report


def index_documents(es: Elasticsearch, documents: list[tuple[str, str, dict[str, Any]]],
                    refresh: bool = False) -> None:
    """Index a few ``(index, id, source)`` documents in one request; raise if any is refused
    (:class:`WritesRefused` when the cluster refused it).

    One bulk request instead of one ``index`` call per document: each write request costs the
    node a translog sync, and per-feed bookkeeping (state plus fetch-log line) was most of the
    time of a run in which every feed answered 304.
    """
    operations: list[dict[str, Any]] = []
    for index, doc_id, source in documents:
        operations += [{"index": {"_index": index, "_id": doc_id}}, source]
    try:
        response = es.bulk(operations=operations, refresh="wait_for" if refresh else False)
    except ApiError as exc:  # the whole request refused (e.g. 503 after the transport's retries)
        refusal = refusal_of({"status": exc.status_code, "error": str(exc), "exception": exc})
        if refusal is None:  # a request the cluster judged malformed: not a refusal, a bug to see whole
            raise
        raise refusal from exc
    if response.get("errors"):
        refused = [item["index"] for item in response["items"] if "error" in item["index"]]
        for item in refused:
            if cluster_fault := refusal_of(item):
                raise cluster_fault
        error_type, reason = _item_reason(refused[0])
        raise RuntimeError(f"could not store {len(refused)} of {len(documents)} documents, e.g. "
                           f"{refused[0].get('_index')}/{refused[0].get('_id')}: {error_type}: {reason}")


def update_documents(es: Elasticsearch, updates: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Partial updates of a few ``(index, id, fields)`` documents in one request; raise if any is refused."""
    operations: list[dict[str, Any]] = []
    for index, doc_id, partial in updates:
        operations += [{"update": {"_index": index, "_id": doc_id}}, {"doc": partial}]
    response = es.bulk(operations=operations)
    if response.get("errors"):
        refused = [item["update"] for item in response["items"] if "error" in item["update"]]
        raise refusal_of(refused[0]) or RuntimeError(
            f"could not update {len(refused)} of {len(updates)} documents, e.g. {refused[0]}")


def dead_letter_id(failure: dict[str, Any]) -> str:
    """One letter per refused document (or per rejected feed entry): a re-run overwrites it."""
    if failure.get("doc_id"):
        key = f"{failure['stage']}\n{failure['doc_id']}"
    else:
        payload = json.dumps(failure.get("payload"), sort_keys=True, ensure_ascii=False, default=str)
        key = f"{failure['stage']}\n{failure.get('source') or failure.get('index', '')}\n{payload}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def dead_letter_doc(failure: dict[str, Any], run_id: str) -> dict[str, Any]:
    return {"stage": failure["stage"], "reason": failure["reason"], "error_type": failure.get("error_type", ""),
            "source": failure.get("source") or failure.get("index", ""), "doc_id": failure.get("doc_id") or "",
            "failed_at": now_iso(), "run_id": run_id, "payload": failure.get("payload")}


def rejected_as_failure(item: Rejected) -> dict[str, Any]:
    return {"stage": item.stage, "reason": item.reason, "error_type": "rejected", "source": item.source,
            "payload": item.payload}


def write_dead_letters(es: Elasticsearch, settings: Settings, failures: list[dict[str, Any]],
                       run_id: str = "") -> None:
    """Dead letters are written with plain bulk; if even that fails, the error is raised, not swallowed."""
    if not failures:
        return
    index = settings.index("deadletter")
    actions = ({"_op_type": "index", "_index": index, "_id": dead_letter_id(f), "_source": dead_letter_doc(f, run_id)}
               for f in failures)
    written, errors = helpers.bulk(es, actions, raise_on_error=False, raise_on_exception=False,
                                   max_retries=settings.bulk_max_retries, retry_on_status=RETRY_STATUSES)
    assert isinstance(errors, list)  # stats_only=False: the failed items themselves
    if errors:
        item = next(iter(errors[0].values()))
        refusal = refusal_of(item)
        if refusal is not None:
            raise refusal
        raise RuntimeError(f"could not store {len(errors)} dead letters, e.g. {errors[0]}")


def get_sources(es: Elasticsearch, index: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    """``_source`` subsets of the documents that exist, by id (mget in chunks)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        response = es.mget(index=index, ids=chunk, source_includes=fields)
        for doc in response["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = doc.get("_source", {})
    return found
