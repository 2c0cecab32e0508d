"""What the Kibana objects are made of: data views, Lens charts, saved searches, maps, dashboards.

Small frozen specs; :mod:`.dashboards` declares MediaWatch's with them and :mod:`.render` turns
them into saved-object JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORDS = "___records___"  # Lens's pseudo-field for "count of documents"


@dataclass(frozen=True)
class DataView:
    name: str  # index name after the prefix: articles, feeds, ...
    label: str
    time_field: str | None
    formats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One Lens metric column: count, average, sum, max or unique_count of a field."""

    op: str
    field: str = RECORDS
    label: str = ""
    kql: str = ""  # column filter, e.g. status:failed


@dataclass(frozen=True)
class Bucket:
    """One Lens bucket column: a date histogram or the top ``size`` terms of a keyword field."""

    op: str
    field: str
    label: str = ""
    size: int = 10
    exclude: tuple[str, ...] = ()
    include_pattern: str = ""  # only terms matching this regular expression (Lens "include values")


@dataclass(frozen=True)
class Chart:
    """A by-value Lens panel: ``vis`` is xy, table, pie or metric."""

    key: str
    title: str
    question: str
    view: str
    vis: str
    metrics: tuple[Metric, ...]
    buckets: tuple[Bucket, ...] = ()
    series: str = "bar_stacked"
    kql: str = ""
    size: tuple[int, int] = (24, 15)


@dataclass(frozen=True)
class SavedSearch:
    key: str
    title: str
    question: str
    view: str
    kql: str
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SearchPanel:
    search: SavedSearch
    size: tuple[int, int] = (48, 18)

    @property
    def key(self) -> str:
        return self.search.key


@dataclass(frozen=True)
class MapPanel:
    """A map saved object (clusters of a geo_point field) shown by reference on a dashboard."""

    key: str
    title: str
    question: str
    view: str
    geo_field: str
    size: tuple[int, int] = (24, 20)


Panel = Chart | SearchPanel | MapPanel


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    time_from: str = "now-7d"
    kql: str = ""
    controls: tuple[tuple[str, str], ...] = ()  # (field, label) options lists on control_view
    control_view: str = "articles"
