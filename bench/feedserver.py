"""A local feed server for the end-to-end benchmark: loopback only, bounded, with ETag/304.

Every feed body gets a strong ETag; a request whose If-None-Match matches it is answered 304.
The server counts what it answered, refuses anything past ``max_requests`` (503), and shuts
itself down after ``lifetime_s`` even if the benchmark forgets to.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when eight fetchers connect at once,
    # and a dropped SYN is retried after a second: that would measure the server, not the pipeline.
    request_queue_size = 128


class FeedServer:
    """Serves ``bodies`` (path -> bytes) at ``base_url``; use as a context manager."""

    def __init__(self, bodies: dict[str, bytes], max_requests: int, lifetime_s: float) -> None:
        self.bodies = bodies
        self.etags = {path: f'"{hashlib.sha1(body).hexdigest()}"' for path, body in bodies.items()}
        self.max_requests = max_requests
        self.lifetime_s = lifetime_s
        self.answered: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._httpd = _Server((HOST, 0), _handler(self))
        self.base_url = f"http://{HOST}:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def count(self, status: int) -> bool:
        """Record an answer; False once the request budget is spent."""
        with self._lock:
            if sum(self.answered.values()) >= self.max_requests:
                self.answered[503] += 1
                return False
            self.answered[status] += 1
            return True

    def reset_counts(self) -> None:
        with self._lock:
            self.answered.clear()

    def __enter__(self) -> FeedServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.lifetime_s, self._httpd.shutdown)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, the body waits for the client's
        # delayed ACK of the headers (40 ms a response).
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = server.bodies.get(self.path)
            etag = server.etags.get(self.path)
            status = 404 if body is None else 304 if self.headers.get("If-None-Match") == etag else 200
            if not server.count(status):
                self._answer(503, b"request budget spent")
                return
            self._answer(status, body if status == 200 else b"", etag)

        def _answer(self, status: int, body: bytes, etag: str | None = None) -> None:
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            if status == 200:
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler
