"""Shared fixtures: one real Elasticsearch node per session, a fresh index prefix per test,
and a local HTTP server whose routes a test scripts (feeds, errors, slow bodies, 304s)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mediawatch.dev import devnode
from mediawatch.settings import Settings

# The Airflow standalone stack shared by the REST, scheduler and UI tests (started on first use).
pytest_plugins = ["tests.airflow_stack"]

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"


# --- Elasticsearch -------------------------------------------------------------------------

def pytest_report_header(config: pytest.Config) -> str:
    """Say in the log which real node the integration tests talk to."""
    url = os.environ.get("MEDIAWATCH_ES_URL") or (devnode.status() or devnode.NodeInfo("", 0, "", "", "")).url
    if not url:
        return "elasticsearch: none running yet; the first integration test starts the test distribution"
    try:
        with urllib.request.urlopen(f"{url}/_nodes/_local?filter_path=nodes.*.version", timeout=5) as response:
            version = next(iter(json.load(response)["nodes"].values()))["version"]
    except (OSError, ValueError, StopIteration) as exc:
        return f"elasticsearch: {url} does not answer ({exc})"
    return f"elasticsearch: real node {version} at {url}"


@pytest.fixture(scope="session")
def es_node() -> Iterator[str]:
    """URL of a real node: MEDIAWATCH_ES_URL, a node already up (make es-up), or one we start."""
    if os.environ.get("MEDIAWATCH_ES_URL"):
        yield os.environ["MEDIAWATCH_ES_URL"]
        return
    running = devnode.status()
    if running:
        yield running.url
        return
    info = devnode.start()
    try:
        yield info.url
    finally:
        devnode.stop()


@pytest.fixture(scope="session")
def es_version(es_node: str) -> str:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_node)
    version = next(iter(es.nodes.info(node_id="_local", metric="_none")["nodes"].values()))["version"]
    print(f"\n[integration] real Elasticsearch {version} at {es_node}")
    return version


@pytest.fixture
def settings(es_node: str, es_version: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings with a unique index prefix; every index and template of the prefix is deleted after."""
    prefix = f"mwtest-{uuid.uuid4().hex[:8]}"
    test_settings = Settings(es_url=es_node, index_prefix=prefix, fetch_timeout_s=3.0, backoff_base_s=60.0,
                             bulk_chunk_size=200)
    yield test_settings
    from mediawatch.index import delete_prefix
    from mediawatch.store import make_client

    delete_prefix(make_client(test_settings), test_settings)


@pytest.fixture
def es(settings: Settings):
    from mediawatch.index import setup_indices
    from mediawatch.store import make_client

    client = make_client(settings)
    setup_indices(client, settings)
    return client


# --- local HTTP server -----------------------------------------------------------------------

@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    gzip: bool = False
    delay_s: float = 0.0
    trickle_s: float = 0.0  # pause between 1-byte chunks: a never-ending slow body
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class FeedServer:
    base_url: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def serve_file(self, path: str, name: str, **kwargs) -> str:
        self.routes[path] = Route(body=(FEEDS / name).read_bytes(), **kwargs)
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.handler:
                route.handler(self)
                return
            time.sleep(route.delay_s)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = gzip.compress(route.body) if route.gzip else route.body
            self.send_response(route.status)
            for key, value in route.headers.items():
                self.send_header(key, value)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.gzip:
                self.send_header("Content-Encoding", "gzip")
            if route.trickle_s:
                self.send_header("Content-Length", str(10 ** 9))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for _ in range(10_000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(route.trickle_s)
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The client may stop reading (size cap): that is the behaviour under test.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 makes concurrent fetches wait for TCP retries (1 s each).
    request_queue_size = 128
    daemon_threads = True


@contextlib.contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a thread; yields the base URL."""
    httpd = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer(base_url="", routes={}, requests=[])
    with loopback_server(_make_handler(server)) as server.base_url:
        yield server
