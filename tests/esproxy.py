"""A fault injector in front of the real Elasticsearch node.

Requests are forwarded byte for byte to the real node; a test can stop the proxy (the
client then finds nothing listening, as when Elasticsearch goes down), start it again on the
same port, make the next N ``_bulk`` requests answer 429 as an overloaded cluster does, or make
every ``_bulk`` request answer a chosen status (``bulk_status = 503``) until it is reset.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.reject_bulk = 0
        self.bulk_status: int | None = None
        self.bulk_requests = 0
        self.rejected = 0
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self.connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections, as a crashed node would."""
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.connections.clear()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            proxy.connections.add(self.connection)

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "/_bulk" in self.path:
                proxy.bulk_requests += 1
                if proxy.bulk_status:
                    self._send(proxy.bulk_status, [("Content-Type", "application/json"),
                                                   ("X-Elastic-Product", "Elasticsearch")],
                               json.dumps({"error": {"type": "unavailable_shards_exception",
                                                     "reason": "answered by the fault proxy"},
                                           "status": proxy.bulk_status}).encode())
                    return
                if proxy.rejected < proxy.reject_bulk:
                    proxy.rejected += 1
                    self._send(429, [("Content-Type", "application/json"), ("X-Elastic-Product", "Elasticsearch")],
                               json.dumps({"error": {"type": "es_rejected_execution_exception",
                                                     "reason": "rejected by the fault proxy"},
                                           "status": 429}).encode())
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
            status, response_headers, payload = proxy.forward(self.command, self.path, headers, body)
            self._send(status, [(k, v) for k, v in response_headers
                                if k.lower() not in {"transfer-encoding", "connection", "content-length"}], payload)

        def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

    return Handler
