"""Which bulk errors are the document's and which the cluster's, and what the operator is told."""

from __future__ import annotations

import pytest
from mediawatch.writefaults import (
    WritesRefused,
    check_writable,
    describe_blocks,
    describe_refusal,
    is_document_fault,
    item_error,
    write_targets,
)

# Per-item errors as the real node answers them (seen on 9.2.4; the two blocks from the tests below).
FLOOD = {"status": 429, "error": {
    "type": "cluster_block_exception",
    "reason": "index [mw-articles-v2] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark,"
              " index has read-only-allow-delete block; for more information, see https://www.elastic.co/...];"}}
WRITE_BLOCK = {"status": 403, "error": {
    "type": "cluster_block_exception", "reason": "index [mw-articles-v2] blocked by: [FORBIDDEN/8/index write (api)];"}}
MAPPING = {"status": 400, "error": {"type": "document_parsing_exception",
                                    "reason": "[1:30] failed to parse field [language] of type [integer]",
                                    "caused_by": {"type": "number_format_exception",
                                                  "reason": 'For input string: "ar"'}}}


@pytest.mark.parametrize(("item", "is_documents"), [
    (MAPPING, True),
    ({"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse"}}, True),
    ({"status": 400, "error": {"type": "illegal_argument_exception", "reason": "Limit of total fields"}}, True),
    ({"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}, True),
    (FLOOD, False),
    (WRITE_BLOCK, False),
    ({"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}, False),
    ({"status": 503, "error": {"type": "unavailable_shards_exception", "reason": "primary shard is not active"}},
     False),
    ({"status": 500, "error": {"type": "exception", "reason": "boom"}}, False),
    ({"status": 404, "error": {"type": "index_not_found_exception", "reason": "no such index"}}, False),
    ({"status": 400, "error": {"type": "illegal_argument_exception",
                               "reason": "no write index is defined for alias [mw-articles]"}}, False),
])
def test_document_faults_are_told_from_cluster_faults(item, is_documents) -> None:
    assert is_document_fault(*item_error(item)) is is_documents


def test_a_whole_request_refused_is_never_the_documents_fault() -> None:
    status, error_type, reason = item_error({"status": 400, "error": "ApiError(400, 'x')", "exception": None})
    assert is_document_fault(status, error_type, reason, whole_request=True) is False


def test_the_reason_names_the_block_and_what_to_do() -> None:
    assert describe_refusal(*item_error(FLOOD), index="mw-articles") == (
        "index is read-only: disk flood stage (index.blocks.read_only_allow_delete) on mw-articles;"
        " free disk space, then lift the block")
    assert describe_refusal(*item_error(WRITE_BLOCK)) == "index has a write block (index.blocks.write)"
    assert "HTTP 503 unavailable_shards_exception" in describe_refusal(503, "unavailable_shards_exception", "")
    assert item_error(MAPPING) == (400, "document_parsing_exception", "[1:30] failed to parse field [language]"
                                                                     ' of type [integer] (For input string: "ar")')
    assert describe_blocks({"cluster": ["cluster.blocks.read_only"], "mw-runs-v2-000001": ["index.blocks.write"]}) == (
        "Elasticsearch refuses writes: cluster is read-only (cluster.blocks.read_only);"
        " mw-runs-v2-000001 has a write block (index.blocks.write)")


@pytest.mark.es
def test_check_writable_reads_the_real_blocks(es, settings) -> None:
    indices = [settings.index(name) for name in ("articles", "feeds", "runs")]
    check_writable(es, indices + [settings.index("missing")])
    es.indices.put_settings(index=settings.index("runs"), settings={"index.blocks.read_only_allow_delete": True})
    try:
        with pytest.raises(WritesRefused, match=r"runs-v2-000001 is read-only: disk flood stage"):
            check_writable(es, indices)
    finally:
        es.indices.put_settings(index=settings.index("runs"), settings={"index.blocks.read_only_allow_delete": None})
    check_writable(es, indices)


@pytest.mark.es
def test_only_the_index_an_alias_writes_to_is_checked(es, settings) -> None:
    """A rolled-over log's older backing index is no longer written, and may carry a write block
    (ILM's readonly action sets one): that must not stop a run."""
    alias = settings.index("fetchlog")
    es.indices.rollover(alias=alias)
    (articles,) = es.indices.get_alias(name=settings.index("articles"))
    assert write_targets(es, [alias, settings.index("articles"), settings.index("missing")]) == sorted(
        [f"{alias}-v2-000002", articles])
    es.indices.put_settings(index=f"{alias}-v2-000001", settings={"index.blocks.write": True})
    check_writable(es, [alias])
    es.indices.put_settings(index=f"{alias}-v2-000002", settings={"index.blocks.write": True})
    try:
        with pytest.raises(WritesRefused, match="fetchlog-v2-000002 has a write block"):
            check_writable(es, [alias])
    finally:
        es.indices.put_settings(index=f"{alias}-v2-00000*", settings={"index.blocks.write": None})
