"""The one place the library meets Airflow: connection, errors, e-mail.

Everything else in ``mediawatch`` runs without Airflow and raises its own exceptions; DAG tasks
go through this module to

- build their settings with the Airflow connection ``elasticsearch_default`` read whole: URL
  (scheme, host, port), login and password, and the extras ``ca_certs`` (or ``ca_file``) and
  ``verify_certs``, which the Elasticsearch client takes by those names;
- turn the library's errors that a retry cannot fix (:class:`~mediawatch.orchestration.FeedFailed`,
  :class:`~mediawatch.settings.SettingsError`) into ``AirflowFailException``, which fails the task
  without retries;
- send alert e-mail through Airflow's configured backend (SMTP).

Airflow is imported inside the functions, so the CLI can import this module without Airflow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from .settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # DAG files import this module: it stays light (no Elasticsearch client, no numpy)
    from .alerts import EmailSender

log = logging.getLogger(__name__)
CONNECTION_ID = "elasticsearch_default"


def final_errors() -> tuple[type[Exception], ...]:
    """Errors that will not go away by retrying the task (imported when a task fails, not at parse time)."""
    from .orchestration import FeedFailed

    return (FeedFailed, SettingsError)


class Connection(Protocol):
    """The fields of an Airflow connection this module reads."""

    conn_type: str | None
    host: str | None
    port: int | None
    schema: str | None
    login: str | None
    password: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


def _is_true(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def settings_with_connection(settings: Settings, conn: Connection) -> Settings:
    """``settings`` with the Elasticsearch URL, login and TLS options of an Airflow connection.

    The scheme is the connection type when that is http/https (``AIRFLOW_CONN_...=https://...``),
    else the connection's schema field (the Elasticsearch connection form's "Scheme"), else http.
    """
    scheme = conn.conn_type if conn.conn_type in {"http", "https"} else (conn.schema or "http")
    host = (conn.host or "").split("://")[-1]
    extras = conn.extra_dejson or {}
    changes: dict[str, Any] = {"es_url": f"{scheme}://{host}:{conn.port or 9200}", "es_user": conn.login or "",
                               "es_password": conn.password or ""}
    ca_file = extras.get("ca_certs") or extras.get("ca_file")
    if ca_file:
        changes["es_ca_file"] = str(ca_file)
    if "verify_certs" in extras:
        changes["es_verify_certs"] = _is_true(extras["verify_certs"])
    return settings.with_overrides(**changes)


def task_settings() -> Settings:
    """MEDIAWATCH_ settings, with Elasticsearch taken from the connection ``elasticsearch_default``
    when it exists (else from MEDIAWATCH_ES_*)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    with airflow_errors():
        settings = load_settings()
    try:
        conn = BaseHook.get_connection(CONNECTION_ID)
    except AirflowNotFoundException:
        log.info("no Airflow connection %r; using MEDIAWATCH_ES_URL=%s", CONNECTION_ID, settings.es_url_for_logs)
        return settings
    return settings_with_connection(settings, conn)


@contextmanager
def airflow_errors() -> Iterator[None]:
    """Re-raise the library's final errors as ``AirflowFailException`` (no retries)."""
    try:
        yield
    except final_errors() as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc


def email_sender() -> EmailSender:
    """An :data:`~mediawatch.alerts.EmailSender` backed by Airflow's configured e-mail backend (SMTP)."""
    from airflow.utils.email import send_email

    def send(to: list[str], subject: str, body: str) -> None:
        send_email(to=to, subject=subject, html_content=body)

    return send


def optional_email_sender() -> EmailSender | None:
    """:func:`email_sender` where Airflow is installed (the CLI's ``alerts --run``), else None."""
    try:
        return email_sender()
    except ImportError:
        return None
