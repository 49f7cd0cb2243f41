"""The guarded outbound client: what it refuses, and that what it allows is fetched within its limits.

Nothing here reaches the internet: every name is answered by a fake resolver (anything else gets the OS's
numeric reading of an address literal, or fails), and the only servers are ours, on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable

import pytest
import urllib3.util.connection

from annotations import outbound
from annotations.outbound import (
    FetchFailed,
    FetchRateLimited,
    FetchRefused,
    FetchTimedOut,
    FetchTooLarge,
    HostRate,
    TooManyRedirects,
    check_url,
    fetch,
)

PUBLIC = "93.184.215.14"  # looks public; never connected to (see `connections`)

_real_getaddrinfo = socket.getaddrinfo


class FakeDNS:
    """Answers the names a test gives it, one answer per lookup (the last one repeating), and records
    each lookup of them."""

    def __init__(self):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def add(self, name, *answers):
        self.answers[name] = [list(answer) for answer in answers]

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.answers:
            # Address literals only: a name that is not in the table fails, it is never looked up.
            return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.lookups.append(host)
        queue = self.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in answer
        ]


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture(autouse=True)
def _fresh_rates(settings):
    outbound.host_rates.drop_all()
    settings.OUTBOUND_PER_HOST_PER_SECOND = 0  # the rate tests turn it on


@pytest.fixture
def connections(monkeypatch):
    """Connections attempted to anything but our own servers: recorded, and failed, never made."""
    attempts = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        if address[0] == "127.0.0.1":
            return real(address, *args, **kwargs)
        attempts.append(address)
        raise OSError("test: no connections leave this machine")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


class Handler(http.server.BaseHTTPRequestHandler):
    server: LocalHTTPServer

    def do_GET(self):
        request = {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        request["host"] = ", ".join(self.headers.get_all("Host") or [])  # every one, if sent twice
        self.server.seen.append(request)
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
        else:
            route(self)

    do_HEAD = do_GET

    def log_message(self, format, *args):
        pass

    def reply(self, body: bytes, *, status=200, headers=(), length=True):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class LocalHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Callable[[Handler], object]] = {}
        self.seen: list[dict[str, str]] = []

    def handle_error(self, request, client_address):
        pass  # a client hanging up early is what several tests are about


class Server:
    def __init__(self, tls: ssl.SSLContext | None = None):
        self.httpd = LocalHTTPServer()
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.routes, self.seen = self.httpd.routes, self.httpd.seen
        self.sni: list[str | None] = []
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def url(self, path, host="127.0.0.1", scheme="http"):
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _page(handler):
    handler.reply(b"<h1>Hello</h1>")


@pytest.fixture
def server(settings):
    """A local server the guard lets through (its port alone, on 127.0.0.1 alone)."""
    served = Server()
    served.routes["/page"] = _page
    settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = {served.port}
    yield served
    served.stop()


# Refusals ---------------------------------------------------------------------------------------------

REFUSED = [
    ("ftp://example.com/file", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://example.com/", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("example.com/no-scheme", "only http and https"),
    ("http://127.0.0.1/", "loopback"),
    ("http://127.0.0.1:8000/admin/", "loopback"),
    ("http://127.254.0.1/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.254/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://255.255.255.255/", "reserved"),
    ("http://192.0.2.1/", "not a publicly routable"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[::ffff:127.0.0.1]/", "loopback address in IPv6 form"),
    ("http://[::ffff:7f00:1]/", "loopback address in IPv6 form"),
    ("http://[::ffff:169.254.169.254]/", "link-local address (where cloud metadata"),
    ("http://[64:ff9b::a00:1]/", "private address in IPv6 form"),
    ("http://[2002:7f00:1::1]/", "loopback address in IPv6 form"),
    ("http://[::127.0.0.1]/", "reserved"),
    ("http://0x7f000001/", "0x7f000001 resolves to 127.0.0.1, which is a loopback"),
    ("http://2130706433/", "2130706433 resolves to 127.0.0.1, which is a loopback"),
    ("http://0177.0.0.1/", "resolves to 127.0.0.1"),
    ("http://017700000001/", "resolves to 127.0.0.1"),
    ("http://127.1/", "resolves to 127.0.0.1"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "resolves to 169.254.169.254"),
    ("http://localhost/", "localhost is this machine"),
    ("http://LOCALHOST./", "localhost is this machine"),
    ("http://localhost:8000/", "localhost is this machine"),
    ("http://admin.localhost/", "admin.localhost is this machine"),
    ("https://Admin.LocalHost./", "admin.localhost is this machine"),
    ("http://evil@127.0.0.1/", "credentials"),
    ("http://user:secret@example.com/", "credentials"),
    ("http://example.com@127.0.0.1/", "credentials"),
    ("http://", "no host"),
    ("http://:80/", "no host"),
    ("http://[::1/", "not a valid URL"),
    ("http://exa mple.com/", "not a valid URL"),
    ("http://example.com:99999/", "not a valid URL"),
    ("http://example.com/\r\nX-Injected: 1", "control characters"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_it_refuses_before_fetching(url, reason, connections):
    with pytest.raises(FetchRefused) as checked:
        check_url(url)
    assert reason in checked.value.reason
    with pytest.raises(FetchRefused) as fetched:
        fetch(url)
    assert fetched.value.reason == checked.value.reason
    assert connections == []


def test_it_refuses_a_name_resolving_to_a_private_address(dns, connections):
    dns.add("intranet.example", ["10.0.0.5"])
    with pytest.raises(FetchRefused, match=r"intranet\.example resolves to 10\.0\.0\.5, which is a private"):
        check_url("https://intranet.example/")
    assert connections == []


def test_it_refuses_a_name_resolving_to_a_public_and_a_private_address(dns, connections):
    dns.add("split.example", [PUBLIC, "127.0.0.1"])
    with pytest.raises(FetchRefused, match="127.0.0.1"):
        fetch("http://split.example/")
    dns.add("split6.example", [PUBLIC, "::1"])
    with pytest.raises(FetchRefused, match="::1"):
        check_url("http://split6.example/")
    assert connections == []


def test_it_passes_public_addresses_and_names(dns):
    dns.add("news.example", [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    check_url(f"http://{PUBLIC}/")
    check_url("https://news.example/story?id=1#top")
    check_url("http://[2606:4700::1111]/")
    check_url("HTTP://NEWS.EXAMPLE./")


def test_check_url_leaves_a_name_that_does_not_resolve_to_the_fetch(connections):
    check_url("http://no-such-host.example/")  # the resolver fails: not refused, not raised
    with pytest.raises(FetchFailed, match="could not resolve no-such-host.example"):
        fetch("http://no-such-host.example/")


def test_the_loopback_allowance_is_for_its_ports_on_127_0_0_1_alone(server):
    check_url(server.url("/page"))
    for refused in (
        f"http://127.0.0.1:{server.port + 1}/",
        f"http://127.0.0.2:{server.port}/",
        f"http://[::1]:{server.port}/",
        f"http://localhost:{server.port}/",
        f"http://10.0.0.1:{server.port}/",
    ):
        with pytest.raises(FetchRefused):
            check_url(refused)


# Fetching ---------------------------------------------------------------------------------------------


def test_it_fetches_a_page_from_the_allowed_local_server(server):
    result = fetch(server.url("/page?x=1#fragment"))
    assert result.status == 200
    assert result.body == b"<h1>Hello</h1>"
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.final_url == server.url("/page?x=1")
    assert result.redirects == ()
    assert 0 < result.elapsed < 5
    (request,) = server.seen
    assert request["path"] == "/page?x=1"
    assert request["user-agent"] == outbound.USER_AGENT
    assert request["host"] == f"127.0.0.1:{server.port}"


def test_it_returns_http_errors_as_results(server):
    result = fetch(server.url("/missing"))
    assert result.status == 404


def test_a_head_request_reads_no_body(server):
    result = fetch(server.url("/page"), method="HEAD")
    assert (result.status, result.body) == (200, b"")
    assert result.headers["content-length"] == "14"


def test_it_connects_to_the_checked_address_and_sends_the_name_as_host(server, dns):
    dns.add("news.example", ["127.0.0.1"])
    result = fetch(f"http://news.example:{server.port}/page", headers={"host": "evil.example", "X-A": "b"})
    assert result.status == 200
    (request,) = server.seen
    assert request["host"] == f"news.example:{server.port}"
    assert request["x-a"] == "b"
    assert dns.lookups == ["news.example"]


def test_a_changed_dns_answer_is_never_asked_for(dns, connections):
    """Rebinding: a public answer when checked, a loopback one after. The connection goes to the address
    that was checked, so the second answer never comes into it."""
    dns.add("rebind.example", [PUBLIC], ["127.0.0.1"])
    with pytest.raises(FetchFailed, match="could not connect"):
        fetch("http://rebind.example/")
    assert dns.lookups == ["rebind.example"]
    assert connections == [(PUBLIC, 80)]


def test_a_fetch_through_a_rebinding_name_reads_the_checked_server(server, dns):
    dns.add("rebind.example", ["127.0.0.1"], ["10.0.0.1"])
    result = fetch(f"http://rebind.example:{server.port}/page")
    assert result.body == b"<h1>Hello</h1>"
    assert dns.lookups == ["rebind.example"]


def test_it_tries_the_next_checked_address_when_one_refuses_connections(server, dns, connections):
    dns.add("twohomes.example", [PUBLIC, "127.0.0.1"])
    # Both answers pass the check (127.0.0.1 through the test allowance); PUBLIC fails to connect.
    result = fetch(f"http://twohomes.example:{server.port}/page")
    assert result.status == 200
    assert connections == [(PUBLIC, server.port)]


# Redirects --------------------------------------------------------------------------------------------


def _redirect_to(location, status=302):
    return lambda handler: handler.reply(b"", status=status, headers=[("Location", location)])


def test_it_follows_redirects(server):
    server.routes["/old"] = _redirect_to("/moved", 301)
    server.routes["/moved"] = _redirect_to(server.url("/page"), 307)
    result = fetch(server.url("/old"))
    assert result.status == 200
    assert result.body == b"<h1>Hello</h1>"
    assert result.final_url == server.url("/page")
    assert result.redirects == (server.url("/old"), server.url("/moved"))
    assert [request["path"] for request in server.seen] == ["/old", "/moved", "/page"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private address in IPv6 form"),
        ("http://0x7f000001/", "loopback"),
        ("http://localhost/", "this machine"),
        ("http://127.0.0.1:1/", "loopback"),  # loopback, but not the allowed port
        ("http://internal.example/", "internal.example resolves to 192.168.0.10"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_it_refuses_a_redirect_to_a_refused_url(server, dns, connections, location, reason):
    dns.add("internal.example", ["192.168.0.10"])
    server.routes["/jump"] = _redirect_to(location)
    with pytest.raises(FetchRefused) as refused:
        fetch(server.url("/jump"))
    assert refused.value.reason.startswith(f"{server.url('/jump')} redirects to {location}: ")
    assert reason in refused.value.reason
    assert [request["path"] for request in server.seen] == ["/jump"]
    assert connections == []


def test_it_stops_after_too_many_redirects(server):
    server.routes["/loop"] = _redirect_to("/loop")
    with pytest.raises(TooManyRedirects):
        fetch(server.url("/loop"))
    assert len(server.seen) == outbound.MAX_REDIRECTS + 1


# Limits -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        lambda handler: handler.reply(b"x" * 1001),
        lambda handler: handler.reply(b"x" * 5000, length=False),  # no length: counted while read
        lambda handler: handler.reply(gzip.compress(b"x" * 100_000), headers=[("Content-Encoding", "gzip")]),
    ],
    ids=["declared", "undeclared", "decompressed"],
)
def test_it_stops_reading_past_the_size_cap(server, settings, route):
    settings.OUTBOUND_MAX_BYTES = 1000
    server.routes["/big"] = route
    with pytest.raises(FetchTooLarge, match="1000 bytes"):
        fetch(server.url("/big"))


def test_a_body_of_exactly_the_cap_is_read(server, settings):
    settings.OUTBOUND_MAX_BYTES = 1000
    server.routes["/full"] = lambda handler: handler.reply(
        gzip.compress(b"y" * 1000), headers=[("Content-Encoding", "gzip")]
    )
    assert fetch(server.url("/full")).body == b"y" * 1000


def test_it_gives_up_on_a_server_that_does_not_answer_in_time(server, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.3

    def slow(handler):
        time.sleep(1.0)
        _page(handler)

    server.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchTimedOut):
        fetch(server.url("/slow"))
    assert time.monotonic() - started < 0.9


def _drip(handler):
    """A byte every 0.05 s: no single read waits long, but the whole body would take 5 s."""
    handler.send_response(200)
    handler.end_headers()
    try:
        for _ in range(100):
            handler.wfile.write(b".")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass  # the client hung up, as it should


def test_the_deadline_covers_a_body_that_drips_in(server, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.5
    server.routes["/drip"] = _drip
    started = time.monotonic()
    with pytest.raises(FetchTimedOut):
        fetch(server.url("/drip"))
    assert time.monotonic() - started < 1.5


def test_it_spaces_requests_to_one_host(server, settings):
    settings.OUTBOUND_PER_HOST_PER_SECOND = 4  # a burst of 4, then one every 0.25 s
    started = time.monotonic()
    for _ in range(5):
        fetch(server.url("/page"))
    assert time.monotonic() - started >= 0.2
    assert len(server.seen) == 5


def test_it_refuses_to_wait_for_a_turn_past_the_deadline(server, settings):
    settings.OUTBOUND_PER_HOST_PER_SECOND = 0.5  # the next turn in 2 s
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.5
    fetch(server.url("/page"))
    started = time.monotonic()
    with pytest.raises(FetchRateLimited):
        fetch(server.url("/page"))
    assert time.monotonic() - started < 0.2
    assert len(server.seen) == 1


def test_the_rate_is_per_host_and_refills_with_time():
    now = [100.0]
    rates = HostRate(clock=lambda: now[0])
    assert rates.reserve("a.example", 2, longest_wait=10) == 0
    assert rates.reserve("a.example", 2, longest_wait=10) == 0
    assert rates.reserve("a.example", 2, longest_wait=10) == pytest.approx(0.5)
    assert rates.reserve("b.example", 2, longest_wait=10) == 0
    assert rates.reserve("a.example", 2, longest_wait=0.9) is None  # 1 s away: nothing taken
    assert rates.reserve("a.example", 2, longest_wait=10) == pytest.approx(1.0)
    now[0] += 10
    assert rates.reserve("a.example", 2, longest_wait=0) == 0


# TLS --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for news.example (its own CA), made with the openssl command."""
    # Debian's openssl, which every machine this runs on has: a missing one fails here, never skips.
    assert shutil.which("openssl"), "the TLS tests need the openssl command"
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-days", "1", "-subj", "/CN=news.example"),
            *("-addext", "subjectAltName=DNS:news.example"),
            *("-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(certificate, settings, monkeypatch):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    served = Server(tls=context)
    context.sni_callback = lambda sock, name, ctx: served.sni.append(name)
    served.routes["/page"] = _page
    settings.OUTBOUND_ALLOW_LOOPBACK_PORTS = {served.port}
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client's default trust store, for this test
    yield served
    served.stop()


def test_https_sends_the_name_as_sni_and_checks_the_certificate_against_it(tls_server, dns):
    dns.add("news.example", ["127.0.0.1"])
    result = fetch(tls_server.url("/page", host="news.example", scheme="https"))
    assert result.body == b"<h1>Hello</h1>"
    assert tls_server.sni == ["news.example"]
    assert tls_server.seen[0]["host"] == f"news.example:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server, dns):
    dns.add("other.example", ["127.0.0.1"])
    with pytest.raises(FetchFailed, match="TLS failed"):
        fetch(tls_server.url("/page", host="other.example", scheme="https"))
    assert tls_server.sni == ["other.example"]
    assert tls_server.seen == []
