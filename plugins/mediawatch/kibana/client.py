"""Import the saved objects through Kibana's saved-objects API."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from ..settings import Settings
from .render import NDJSON_NAME, saved_objects, to_ndjson

IMPORT_TIMEOUT_S = 60.0


class KibanaImportError(RuntimeError):
    """Kibana refused the import or failed some objects; the message carries Kibana's own words."""


def _auth(settings: Settings) -> tuple[str, str] | None:
    return (settings.es_user, settings.es_password) if settings.es_user else None


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    """Kibana usually sits behind the same CA as Elasticsearch, so the ES TLS settings apply."""
    if settings.es_ca_file:
        return ssl.create_default_context(cafile=settings.es_ca_file)
    return settings.es_verify_certs


def _kibana_message(response: httpx.Response) -> str:
    """Kibana's error body is ``{"statusCode", "error", "message"}``; anything else is shown raw."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('error') or 'error'}: {body['message']}"
    return json.dumps(body)[:500]


def _describe_error(error: dict[str, Any]) -> str:
    """One failed object: type, id, Kibana's error type and message or missing references."""
    detail = error.get("error") or {}
    missing = ", ".join(f"{ref.get('type')} {ref.get('id')}" for ref in detail.get("references", []))
    reason = detail.get("message") or (f"missing {missing}" if missing else "")
    text = f"{error.get('type')} {error.get('id')}: {detail.get('type', 'error')}"
    return f"{text} ({reason})" if reason else text


def _import_summary(kibana_url: str, response: httpx.Response, total: int) -> dict[str, Any]:
    if response.status_code >= 400:
        raise KibanaImportError(f"Kibana at {kibana_url} refused the import (HTTP {response.status_code}):"
                                f" {_kibana_message(response)}")
    try:
        body = response.json()
    except ValueError as exc:
        raise KibanaImportError(f"Kibana at {kibana_url} answered with non-JSON:"
                                f" {response.text[:200]!r}") from exc
    errors = body.get("errors") or []
    if not body.get("success") or errors:
        failed = "; ".join(_describe_error(error) for error in errors) or "no reason given"
        raise KibanaImportError(f"Kibana at {kibana_url} imported {body.get('successCount', 0)} of {total}"
                                f" objects; failed: {failed}")
    return {"kibana_url": kibana_url, "success": True, "successCount": body.get("successCount", 0),
            "objects": total, "errors": []}


def import_saved_objects(kibana_url: str, settings: Settings) -> dict[str, Any]:
    """Import every object (overwriting ours) through Kibana's saved-objects API; raise on any failure."""
    objects = saved_objects(settings)
    files = {"file": (NDJSON_NAME, to_ndjson(objects).encode("utf-8"), "application/ndjson")}
    try:
        response = httpx.post(f"{kibana_url.rstrip('/')}/api/saved_objects/_import",
                              params={"overwrite": "true"}, files=files, headers={"kbn-xsrf": "true"},
                              auth=_auth(settings), timeout=IMPORT_TIMEOUT_S, verify=_verify(settings))
    except httpx.HTTPError as exc:
        raise KibanaImportError(f"Kibana at {kibana_url} is unreachable: {exc}") from exc
    return _import_summary(kibana_url, response, len(objects))
