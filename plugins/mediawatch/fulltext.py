"""Optional full text: fetch an article page politely and safely, extract its main text.

Politely: robots.txt is honoured (cached per host) and requests to one host are spaced by
``fulltext_per_domain_s``. Safely: article URLs come from third-party feeds, so a link must not
become a way into our own network. Every host is resolved and refused when any address is
loopback, private, link-local (cloud metadata lives at 169.254.169.254), reserved or multicast,
unless allow-listed in ``MEDIAWATCH_ALLOW_PRIVATE_HOSTS``; redirects are followed by hand so the
check runs again on every hop. (A DNS answer could still change between our check and the
connection; a resolver-pinning proxy is the stronger fix where that matters.)
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
import trafilatura

from .fetch import BodyTooLarge, read_capped
from .settings import Settings

log = logging.getLogger(__name__)
MAX_PAGE_BYTES = 5 * 1024 * 1024


class BlockedURL(ValueError):
    """The URL points at an address full-text fetching must not reach."""


def _allow_list(settings: Settings) -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in filter(None, (part.strip() for part in settings.allow_private_hosts.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower())
    return hosts, networks


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                or ip.is_unspecified)


def check_url(url: str, settings: Settings) -> None:
    """Raise BlockedURL unless every address the host resolves to is public (or allow-listed)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedURL(f"{url}: only http(s) URLs with a host are fetched")
    host = parts.hostname.lower()
    hosts, networks = _allow_list(settings)
    if host in hosts:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise BlockedURL(f"{url}: cannot resolve {host} ({exc})") from exc
    for info in infos:
        address = str(info[4][0])
        if is_public_address(address):
            continue
        if any(ipaddress.ip_address(address) in network for network in networks):
            continue
        raise BlockedURL(f"{url}: {host} resolves to non-public address {address}")


@dataclass(frozen=True)
class Page:
    status: int
    text: str


class PageFetcher:
    """Fetches article pages with robots.txt, per-host spacing and the address check."""

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client
        self._robots: dict[str, RobotFileParser] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            ready = self._last_request.get(host, 0.0) + self.settings.fulltext_per_domain_s
            self._last_request[host] = max(now, ready)
        if ready > now:
            time.sleep(ready - now)

    def _get(self, url: str) -> Page:
        """GET with redirects followed by hand, checking each hop's address."""
        for _ in range(self.settings.fetch_max_redirects + 1):
            check_url(url, self.settings)
            self._wait_turn(urlsplit(url).hostname or "")
            with self.client.stream("GET", url, follow_redirects=False) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["location"])
                    continue
                body = read_capped(response, MAX_PAGE_BYTES, time.monotonic() + 60)
                return Page(response.status_code, body.decode(response.encoding or "utf-8", "replace"))
        raise BlockedURL(f"{url}: more than {self.settings.fetch_max_redirects} redirects")

    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            parser = RobotFileParser()
            try:
                page = self._get(f"{origin}/robots.txt")
                lines = page.text.splitlines() if page.status == 200 else []
            except (httpx.HTTPError, BlockedURL, BodyTooLarge):
                lines = []
            parser.parse(lines)
            self._robots[origin] = parser
        return self._robots[origin].can_fetch(self.settings.user_agent, url)

    def text(self, url: str) -> tuple[str, str | None]:
        """(main text, None) or ("", reason); never raises for network or content problems."""
        try:
            if not self.allowed_by_robots(url):
                return "", "disallowed by robots.txt"
            page = self._get(url)
        except BlockedURL as exc:
            return "", str(exc)
        except BodyTooLarge:
            return "", f"page larger than {MAX_PAGE_BYTES} bytes"
        except httpx.HTTPError as exc:
            return "", f"{type(exc).__name__}: {exc}"
        if page.status != 200:
            return "", f"HTTP {page.status}"
        text = trafilatura.extract(page.text, url=url, include_comments=False, include_tables=False) or ""
        return text, None if text else "no main text found"
