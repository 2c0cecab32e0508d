"""The Airflow adapter's pure part: an Airflow connection read whole into the settings.
(The parts that import Airflow are tested in test_dags.py, after its environment is set up.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediawatch.airflow_adapter import settings_with_connection
from mediawatch.settings import Settings


@dataclass
class Conn:
    conn_type: str | None = "elasticsearch"
    host: str | None = "es.example.org"
    port: int | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = None
    extra_dejson: dict[str, Any] = field(default_factory=dict)


def test_url_login_and_tls_extras_come_from_the_connection() -> None:
    base = Settings(es_ca_file="/env/ca.pem", es_verify_certs=True)
    conn = Conn(schema="https", port=9243, login="elastic", password="s3cret",
                extra_dejson={"ca_certs": "/etc/ssl/es-ca.pem", "verify_certs": "false"})
    settings = settings_with_connection(base, conn)
    assert settings.es_url == "https://es.example.org:9243"
    assert (settings.es_user, settings.es_password) == ("elastic", "s3cret")
    assert settings.es_ca_file == "/etc/ssl/es-ca.pem" and settings.es_verify_certs is False


def test_an_http_uri_connection_gives_its_scheme_and_the_default_port() -> None:
    settings = settings_with_connection(Settings(), Conn(conn_type="https", host="es"))
    assert settings.es_url == "https://es:9200" and settings.es_user == "" and settings.es_verify_certs is True


def test_extras_left_out_keep_the_environment_tls_settings() -> None:
    base = Settings(es_ca_file="/env/ca.pem", es_verify_certs=False)
    settings = settings_with_connection(base, Conn(extra_dejson={"ca_file": "/conn/ca.pem"}))
    assert settings.es_url == "http://es.example.org:9200"
    assert settings.es_ca_file == "/conn/ca.pem" and settings.es_verify_certs is False
