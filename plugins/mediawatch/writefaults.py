"""Who is at fault when Elasticsearch refuses a write: the document, or the cluster.

A document the index cannot take (a value its mapping refuses) is the document's fault: it goes
to the dead-letter index with the reason and never comes back by itself. Everything else is the
cluster's: a write block an operator or a snapshot restore left, the read-only block Elasticsearch
sets at the disk flood stage, full queues (429), 5xx, unavailable shards. Those are retried and then
fail the feed without a dead letter, so nothing is parked that a later run would not redo.
Logstash's dead letter queue draws the same line (only events refused for their own content).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch

# Per-item error types that describe the document (Elasticsearch's mapping and parsing errors,
# see DocumentParsingException, MapperParsingException, StrictDynamicMappingException).
DOCUMENT_ERROR_TYPES = frozenset({
    "mapper_parsing_exception", "document_parsing_exception", "strict_dynamic_mapping_exception",
    "illegal_argument_exception", "parse_exception", "x_content_parse_exception", "json_parse_exception",
    "mapper_exception", "version_conflict_engine_exception", "document_source_missing_exception",
})
# Types that name a cluster condition whatever their status (a flood-stage block answers 429, a
# write block 403; an unreachable shard 503).
CLUSTER_ERROR_TYPES = frozenset({
    "cluster_block_exception", "es_rejected_execution_exception", "unavailable_shards_exception",
    "no_shard_available_action_exception", "circuit_breaking_exception", "index_not_found_exception",
    "process_cluster_event_timeout_exception", "node_not_connected_exception", "security_exception",
})
# An illegal_argument_exception that is about the alias, not the document.
_CLUSTER_REASONS = ("no write index is defined for alias",)
# Statuses the bulk writer retries with doubling backoff before it gives up (403: write blocks).
RETRY_STATUSES = (403, 429, 500, 502, 503, 504)
# The index settings that refuse writes (Elasticsearch's index blocks).
WRITE_BLOCKS = ("index.blocks.write", "index.blocks.read_only", "index.blocks.read_only_allow_delete")
CLUSTER_WRITE_BLOCKS = ("cluster.blocks.read_only", "cluster.blocks.read_only_allow_delete")


class StoreUnavailable(RuntimeError):
    """Elasticsearch cannot be reached; the message has the URL and the cause."""


class WritesRefused(StoreUnavailable):
    """Elasticsearch answers but refuses writes (block, flood stage, 429, 5xx); the message says which."""


def item_error(item: dict[str, Any]) -> tuple[int, str, str]:
    """``(status, type, reason)`` of a failed bulk item, also when the whole request failed."""
    status = int(item.get("status") or 0)
    error = item.get("error", {})
    if isinstance(error, dict):
        reason = error.get("reason") or ""
        caused = (error.get("caused_by") or {}).get("reason")
        return status, error.get("type", "error"), f"{reason} ({caused})" if caused else reason
    exception = item.get("exception")
    body = getattr(exception, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return status, body["error"].get("type", "error"), body["error"].get("reason") or str(error)
    return status, "error", str(error)


def is_document_fault(status: int, error_type: str, reason: str, whole_request: bool = False) -> bool:
    """True when the document itself was refused (dead letter); False when the cluster was at fault."""
    if whole_request or error_type in CLUSTER_ERROR_TYPES or status == 429 or status >= 500:
        return False
    if any(marker in reason for marker in _CLUSTER_REASONS):
        return False
    return error_type in DOCUMENT_ERROR_TYPES or status in (400, 409)


def describe_refusal(status: int, error_type: str, reason: str, index: str = "") -> str:
    """One line an operator can act on, e.g. ``index is read-only: disk flood stage (...)``."""
    where = f" on {index}" if index else ""
    if "read-only-allow-delete" in reason or "flood-stage" in reason:
        return (f"index is read-only: disk flood stage (index.blocks.read_only_allow_delete){where}; free disk"
                " space, then lift the block")
    if "index write (api)" in reason:
        return f"index has a write block (index.blocks.write){where}"
    if "index read-only (api)" in reason:
        return f"index is read-only (index.blocks.read_only){where}"
    if error_type == "es_rejected_execution_exception":
        return f"Elasticsearch is overloaded and rejects writes (429 {error_type}){where}"
    detail = f"{error_type}: {reason}" if reason and reason != error_type else error_type
    return f"Elasticsearch refused the write{where}: HTTP {status} {detail}"


def describe_blocks(blocked: dict[str, list[str]]) -> str:
    """The pre-flight finding in words: which index (or the cluster) has which write block."""
    parts = []
    for index, blocks in sorted(blocked.items()):
        for block in blocks:
            if block.endswith("read_only_allow_delete"):
                parts.append(f"{index} is read-only: disk flood stage ({block}); free disk space, then lift the block")
            elif block.endswith("read_only"):
                parts.append(f"{index} is read-only ({block})")
            else:
                parts.append(f"{index} has a write block ({block})")
    return "Elasticsearch refuses writes: " + "; ".join(parts)


def _is_true(value: Any) -> bool:
    return str(value).lower() == "true"


def write_targets(es: Elasticsearch, aliases: list[str]) -> list[str]:
    """The index each alias writes to: its write index, or its only index.

    Older backing indices of a rolled-over log are not written any more, and may well carry a
    write block (ILM's readonly action sets one), so they are not checked.
    """
    response = es.options(ignore_status=404).indices.get_alias(name=",".join(aliases))
    targets: list[str] = []
    for alias in aliases:
        members = {index: body["aliases"][alias] for index, body in response.body.items()
                   if isinstance(body, dict) and alias in (body.get("aliases") or {})}
        writers = [index for index, options in members.items() if options.get("is_write_index")]
        targets += writers or (list(members) if len(members) == 1 else [])
    return sorted(targets)


def write_blocks(es: Elasticsearch, aliases: list[str]) -> dict[str, list[str]]:
    """Write blocks on the indices the given aliases write to, and on the whole cluster (key ``cluster``)."""
    blocked: dict[str, list[str]] = {}
    targets = write_targets(es, aliases)
    if targets:
        response = es.indices.get_settings(index=",".join(targets), name="index.blocks.*", flat_settings=True,
                                           ignore_unavailable=True)
        for index, body in response.body.items():
            found = [name for name in WRITE_BLOCKS if _is_true(body.get("settings", {}).get(name))]
            if found:
                blocked[index] = found
    cluster = es.cluster.get_settings(flat_settings=True)
    found = [name for name in CLUSTER_WRITE_BLOCKS
             if any(_is_true(cluster.get(scope, {}).get(name)) for scope in ("persistent", "transient"))]
    if found:
        blocked["cluster"] = found
    return blocked


def check_writable(es: Elasticsearch, aliases: list[str]) -> None:
    """Raise :class:`WritesRefused` before any work when an alias's write index or the cluster has a write block.

    Without the privilege to read settings the check is skipped: the bulk writer still classifies
    whatever the cluster refuses.
    """
    try:
        blocked = write_blocks(es, aliases)
    except ApiError:
        return
    if blocked:
        raise WritesRefused(describe_blocks(blocked))
