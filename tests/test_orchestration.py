"""Cutting the due feeds into mapped-task batches, and the batch labels the Airflow grid shows."""

from __future__ import annotations

from mediawatch.orchestration import MAX_BATCH_LABEL, batch_feeds, batch_label


def test_batches_are_near_equal_in_registry_order_and_cover_every_feed_once() -> None:
    ids = [f"feed-{i:02d}" for i in range(29)]
    batches = batch_feeds(ids, 10)
    assert [len(b) for b in batches] == [10, 10, 9]
    assert [i for b in batches for i in b] == ids
    assert [len(b) for b in batch_feeds(ids, 25)] == [15, 14], "two tasks of 15/14, not 25 and 4"
    assert batch_feeds(ids, 100) == [ids]
    assert batch_feeds(ids[:3], 1) == [["feed-00"], ["feed-01"], ["feed-02"]]
    assert batch_feeds([], 10) == []


def test_batch_label_names_the_feeds_and_fits_airflows_column() -> None:
    assert batch_label(["sana-ar", "tass-ru"]) == "sana-ar, tass-ru"
    ids = [f"some-rather-long-feed-name-{i:03d}" for i in range(40)]
    label = batch_label(ids)
    assert len(label) <= MAX_BATCH_LABEL
    assert label.startswith("some-rather-long-feed-name-000, some-rather-long-feed-name-001")
    shown = label.split(" … ")[0].split(", ")
    assert label.endswith(f"(+{40 - len(shown)} more)") and shown == ids[:len(shown)]
