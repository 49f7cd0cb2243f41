"""The one guarded client for every outbound HTTP fetch (issue 11). URL imports, re-fetches and source
link checks call `fetch` here, never urllib3 or urllib themselves.

The guard is against server-side request forgery: a URL an editor pastes, or a redirect a page answers
with, must not make the app talk to itself, the private network or a cloud metadata service. So every
hop (the first request and each redirect) is checked the same way:

- http and https only, and no credentials in the URL;
- the host is resolved once and every address it resolves to must be public: one private answer refuses
  the name, or the connection would be a coin toss between the answers;
- the connection goes to the very address that was checked (the DNS answer is pinned), while the name
  goes out as the Host header, the TLS SNI and the hostname the certificate must match; a second DNS
  answer (rebinding) is never asked for.

Around that: a cap on the bytes read, a deadline for the whole fetch (redirects included) and a rate per
host. Settings, read at each call so tests can change them:

- ``OUTBOUND_MAX_BYTES``: the largest body read, after decompression (5 MiB).
- ``OUTBOUND_TIMEOUT_SECONDS``: the deadline for the whole fetch; also bounds each connect and read (10).
- ``OUTBOUND_PER_HOST_PER_SECOND``: requests per second to one host name, 0 for no limit (1). The buckets
  live in this process: N worker processes may together send N times the rate to one host.
- ``OUTBOUND_ALLOW_LOOPBACK_PORTS``: for tests only, ports on 127.0.0.1 the guard lets through, so a
  test can fetch from its own local server (empty).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from django.conf import settings
from urllib3 import BaseHTTPResponse, HTTPConnectionPool, HTTPHeaderDict, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Timeout, Url, parse_url

USER_AGENT = "newsroom-claims/0.1 (newsroom claim checking)"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_PER_HOST_PER_SECOND = 1.0
MAX_REDIRECTS = 5

_SCHEMES = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024
_TEST_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchRefused(FetchError):
    """The guard will not fetch this URL (or a redirect's target): the request is the problem, so a caller
    can answer 400 at once, and trying again will not help."""


class FetchFailed(FetchError):
    """The fetch was allowed but did not succeed: the name did not resolve, the connection or TLS failed,
    or one of the limits below was reached."""


class FetchTimedOut(FetchFailed):
    pass


class FetchTooLarge(FetchFailed):
    pass


class TooManyRedirects(FetchFailed):
    pass


class FetchRateLimited(FetchFailed):
    """The host's next turn comes after the deadline: try again later."""


@dataclass(frozen=True)
class FetchResult:
    """What the server answered, whatever the status: an HTTP error is a result, not an exception."""

    url: str
    final_url: str
    status: int
    headers: HTTPHeaderDict
    body: bytes
    redirects: tuple[str, ...]  # each URL that answered with a redirect, in order
    elapsed: float  # seconds, from the call to the last byte


def check_url(url: str) -> None:
    """Raise FetchRefused when the guard would refuse the URL before fetching anything: its scheme,
    credentials, a literal refused address, localhost, or a name resolving to a refused address.

    A name that does not resolve now is not refused here: `fetch` resolves it again and reports a
    failure as FetchFailed. Redirects are only known by fetching, so `fetch` may still refuse a hop.
    """
    with contextlib.suppress(FetchFailed):
        _check(url)


def fetch(
    url: str, *, method: Literal["GET", "HEAD"] = "GET", headers: Mapping[str, str] | None = None
) -> FetchResult:
    """Fetch url through the guard, following redirects; `headers` (conditional requests, say) go with
    every hop, except Host, which is always the checked name."""
    max_bytes = int(getattr(settings, "OUTBOUND_MAX_BYTES", DEFAULT_MAX_BYTES))
    per_second = float(getattr(settings, "OUTBOUND_PER_HOST_PER_SECOND", DEFAULT_PER_HOST_PER_SECOND))
    started = time.monotonic()
    deadline = started + float(getattr(settings, "OUTBOUND_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    redirects: list[str] = []
    target = url
    while True:
        try:
            hop = _check(target)
        except FetchRefused as refused:
            if not redirects:
                raise
            raise FetchRefused(f"{redirects[-1]} redirects to {target}: {refused.reason}") from refused
        _wait_for_turn(hop.host, per_second, deadline)
        with _open(hop, method, headers or {}, deadline) as response:
            location = response.headers.get("Location")
            if response.status in _REDIRECT_STATUSES and location:
                redirects.append(hop.url)
                if len(redirects) > MAX_REDIRECTS:
                    raise TooManyRedirects(f"{url} redirects more than {MAX_REDIRECTS} times")
                target = urljoin(hop.url, location)
                continue
            body = b"" if method == "HEAD" else _read_capped(response, hop.url, max_bytes, deadline)
            return FetchResult(
                url=url,
                final_url=hop.url,
                status=response.status,
                headers=response.headers,
                body=body,
                redirects=tuple(redirects),
                elapsed=time.monotonic() - started,
            )


@dataclass(frozen=True)
class _Hop:
    url: str  # normalised, without its fragment
    scheme: str
    host: str  # the name, or the literal address without brackets
    port: int
    request_target: str
    addresses: tuple[str, ...]  # checked, and the only ones connected to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _SCHEMES[self.scheme] else f"{host}:{self.port}"


def _check(url: str) -> _Hop:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise FetchRefused("the URL contains control characters")
    try:
        parsed = parse_url(url.strip())
    except LocationParseError:
        raise FetchRefused(f"{url!r} is not a valid URL") from None
    if parsed.scheme not in _SCHEMES:
        raise FetchRefused(f"only http and https URLs are fetched, not {url!r}")
    if parsed.auth is not None:
        # Never needed for a public page, and "user@host" is how a URL hides its real host from a reader.
        raise FetchRefused("URLs with credentials (user@host) are not fetched")
    host = (parsed.host or "").strip("[]").rstrip(".")
    if not host:
        raise FetchRefused(f"{url!r} has no host")
    if host == "localhost" or host.endswith(".localhost"):
        raise FetchRefused(f"{host} is this machine")
    port = parsed.port or _SCHEMES[parsed.scheme]
    addresses = _resolve(host, port)
    allowed_ports = getattr(settings, "OUTBOUND_ALLOW_LOOPBACK_PORTS", ())
    for address in addresses:
        if address == _TEST_LOOPBACK and port in allowed_ports:
            continue
        if why := _refusal(address):
            where = str(address) if host == str(address) else f"{host} resolves to {address}, which"
            raise FetchRefused(f"{where} is {why}")
    clean = Url(parsed.scheme, host=parsed.host, port=parsed.port, path=parsed.path, query=parsed.query)
    return _Hop(clean.url, parsed.scheme, host, port, clean.request_uri, tuple(map(str, addresses)))


def _resolve(host: str, port: int) -> list[Address]:
    """The addresses a connection to host could reach. getaddrinfo reads odd numeric spellings
    (0x7f000001, 2130706433, 0177.0.0.1, 127.1) the way the OS would connect to them, without DNS."""
    with contextlib.suppress(ValueError):
        return [ipaddress.ip_address(host)]
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:
        raise FetchRefused(f"{host!r} is not a valid host name") from None
    except OSError as error:
        raise FetchFailed(f"could not resolve {host}: {error}") from error
    addresses = [
        ipaddress.ip_address(sockaddr[0])
        for family, _, _, _, sockaddr in answers
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise FetchFailed(f"{host} has no IP address")
    return list(dict.fromkeys(addresses))  # in the resolver's order of preference


# Refused whatever Python's is_global says (it calls multicast global, and its tables move between
# versions); anything else not globally routable is refused below too.
_REFUSED_NETWORKS = tuple(
    (ipaddress.ip_network(network), kind)
    for network, kind in (
        ("0.0.0.0/8", "an unspecified address"),
        ("127.0.0.0/8", "a loopback address"),
        ("10.0.0.0/8", "a private address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("169.254.0.0/16", "a link-local address (where cloud metadata services live)"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("fc00::/7", "a private (unique local) address"),
        ("fe80::/10", "a link-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _refusal(address: Address) -> str | None:
    """Why a connection to address is refused, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        # These IPv6 forms reach an IPv4 address; it is that address that must be public.
        carried = address.ipv4_mapped or address.sixtofour
        if carried is None and address in _NAT64:
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None and (why := _refusal(carried)):
            return f"{why} in IPv6 form"
    for network, kind in _REFUSED_NETWORKS:
        if address in network:
            return kind
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a publicly routable address"
    return None


class HostRate:
    """A token bucket per host name, shared by the threads of this process (and only them): a host gets
    `per_second` requests a second, in bursts of up to max(1, per_second)."""

    _MAX_HOSTS = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # host -> (tokens, when counted)

    def reserve(self, host: str, per_second: float, *, longest_wait: float) -> float | None:
        """Take host's next turn and return the seconds until it comes; None, taking nothing, when that
        is more than longest_wait."""
        capacity = max(1.0, per_second)
        with self._lock:
            now = self._clock()
            tokens, counted = self._buckets.get(host, (capacity, now))
            tokens = min(capacity, tokens + (now - counted) * per_second) - 1
            wait = max(0.0, -tokens / per_second)
            if wait > longest_wait:
                return None
            if len(self._buckets) >= self._MAX_HOSTS:
                # A host whose bucket has filled up again is as good as never seen: forget those.
                self._buckets = {
                    name: (left, when)
                    for name, (left, when) in self._buckets.items()
                    if left + (now - when) * per_second < capacity
                }
            self._buckets[host] = (tokens, now)
            return wait

    def drop_all(self) -> None:
        with self._lock:
            self._buckets.clear()


host_rates = HostRate()


def _wait_for_turn(host: str, per_second: float, deadline: float) -> None:
    if per_second <= 0:
        return
    wait = host_rates.reserve(host, per_second, longest_wait=deadline - time.monotonic())
    if wait is None:
        raise FetchRateLimited(f"{host} is asked at most {per_second:g} times a second; try again later")
    time.sleep(wait)


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchTimedOut(f"{url} took longer than the time limit")
    return left


@contextlib.contextmanager
def _open(
    hop: _Hop, method: str, extra_headers: Mapping[str, str], deadline: float
) -> Iterator[BaseHTTPResponse]:
    """The response from the first of hop's checked addresses that accepts a connection, its body
    unread; errors of the connection and of reading the body come out as FetchFailed."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate",
        **{name: value for name, value in extra_headers.items() if name.lower() != "host"},
        "Host": hop.host_header,
    }
    for index, address in enumerate(hop.addresses):
        left = _remaining(deadline, hop.url)
        timeout = Timeout(connect=left, read=left)
        pool: HTTPConnectionPool
        if hop.scheme == "https":
            pool = HTTPSConnectionPool(
                address,
                hop.port,
                timeout=timeout,
                maxsize=1,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                server_hostname=hop.host,
                assert_hostname=hop.host,
            )
        else:
            pool = HTTPConnectionPool(address, hop.port, timeout=timeout, maxsize=1, retries=False)
        try:
            with _as_fetch_failed(hop.url):
                try:
                    response = pool.urlopen(
                        method,
                        hop.request_target,
                        headers=headers,
                        redirect=False,
                        retries=False,
                        preload_content=False,
                        assert_same_host=False,
                    )
                except NewConnectionError:
                    # Nothing was sent: another of the name's checked addresses may answer.
                    if index + 1 < len(hop.addresses):
                        continue
                    raise
                try:
                    yield response
                finally:
                    response.close()
            return
        finally:
            pool.close()


@contextlib.contextmanager
def _as_fetch_failed(url: str) -> Iterator[None]:
    try:
        yield
    except NewConnectionError as error:  # a subclass of ConnectTimeoutError, but not a timeout
        raise FetchFailed(f"could not connect to {url}: {error}") from error
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError) as error:
        raise FetchTimedOut(f"{url} took longer than the time limit") from error
    except SSLError as error:
        raise FetchFailed(f"TLS failed for {url}: {error}") from error
    except (HTTPError, OSError) as error:
        raise FetchFailed(f"fetching {url} failed: {error}") from error


def _read_capped(response: BaseHTTPResponse, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLarge(f"{url} declares {declared} bytes, more than the {max_bytes} bytes allowed")
    body = bytearray()
    # read1 returns as soon as some bytes arrive, so a server dripping bytes still meets the deadline.
    while chunk := response.read1(_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise FetchTooLarge(f"{url} is larger than the {max_bytes} bytes allowed")
        _remaining(deadline, url)
    return bytes(body)
