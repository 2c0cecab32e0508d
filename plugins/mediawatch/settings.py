"""One settings object, built once from the ``MEDIAWATCH_`` environment variables.

Stages never read the environment themselves: the CLI and the DAGs build a
:class:`Settings` and pass it down. Every field is documented in the README table.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PREFIX = "MEDIAWATCH_"


def _default_seeds_dir() -> Path:
    """The seeds/ an installed package carries (setup.py copies it into the wheel), else the
    checkout's seeds/ at the repository root (an editable install, or Airflow's plugins/ folder)."""
    package = Path(__file__).resolve().parent
    shipped = package / "seeds"
    return shipped if shipped.is_dir() else package.parents[1] / "seeds"


DEFAULT_SEEDS_DIR = _default_seeds_dir()


class SettingsError(ValueError):
    """A MEDIAWATCH_ variable holds a value of the wrong shape."""


@dataclass(frozen=True)
class Settings:
    es_url: str = "http://127.0.0.1:9200"
    es_user: str = ""
    es_password: str = ""
    es_ca_file: str = ""
    es_verify_certs: bool = True
    es_timeout_s: float = 30.0
    index_prefix: str = "mediawatch"
    index_shards: int = 1
    index_replicas: int = 0
    seeds_dir: Path = DEFAULT_SEEDS_DIR
    feeds_file: Path | None = None
    user_agent: str = "MediaWatch/0.1 (+https://github.com/mediawatch; media monitoring bot)"
    fetch_timeout_s: float = 20.0
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_max_redirects: int = 5
    fetch_concurrency: int = 8
    feeds_per_task: int = 100
    fetch_pool: str = "default_pool"
    backoff_base_s: float = 300.0
    backoff_max_s: float = 6 * 3600.0
    future_tolerance_s: float = 3600.0
    fulltext: bool = False
    fulltext_per_domain_s: float = 2.0
    allow_private_hosts: str = ""
    bulk_chunk_size: int = 500
    bulk_max_retries: int = 5
    kibana_url: str = ""
    ingest_schedule: str = "*/15 * * * *"
    alert_webhook_url: str = ""
    alert_email_to: str = ""
    alert_window_h: int = 6
    alert_min_count: int = 5
    alert_p_value: float = 0.0001
    alert_tone_margin: float = 0.3
    briefing_dir: Path = Path(tempfile.gettempdir()) / "mediawatch-briefings"
    briefing_schedule: str = "0 3 * * *"

    @property
    def es_url_for_logs(self) -> str:
        """The URL without any user:password part, safe to print."""
        parts = urlsplit(self.es_url)
        if not parts.password and not parts.username:
            return self.es_url
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))

    @property
    def feeds_path(self) -> Path:
        return self.feeds_file or self.seeds_dir / "feeds.yaml"

    def index(self, name: str) -> str:
        """The alias/index name for one of the project's indices (articles, feeds, runs...)."""
        return f"{self.index_prefix}-{name}"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _convert(name: str, raw: str, default: Any) -> Any:
    kind = type(default)
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return lowered in {"1", "true", "yes", "on"}
        if isinstance(default, Path) or default is None:
            return Path(raw) if raw else None
        return kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``MEDIAWATCH_*`` variables; unknown ones are reported, not ignored."""
    environ = os.environ if environ is None else environ
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):].lower()
        if name not in known:
            if name in _NOT_SETTINGS:
                continue
            raise SettingsError(f"unknown setting {key}; see the configuration table in the README")
        values[name] = _convert(name, raw, known[name].default)
    return Settings(**values)


# Variables with the prefix that configure tooling (dev node, tests), not the pipeline.
_NOT_SETTINGS = {"es_version", "es_home", "es_heap", "java_home", "fetch_pool_slots", "corpus_texts"}
