"""`api/_transport.py` on its aiohttp wire against small real servers on 127.0.0.1 (issue 12): TLS is
verified, every failure is one of our kinds with an honest `sent`, and the client's typed errors follow.

The servers here are `tests/api/hostile.py` (a real TCP server); the TLS certificate is a throw-away
self-signed one made with the `openssl` command line for the test.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import shutil
import ssl
import subprocess
import tracemalloc
import zlib
from pathlib import Path

import pytest

from tests.api.conftest import FAST_RETRY
from tests.api.hostile import HostileRequest, HostileServer, json_response, response
from webchat_tui.api import Timeouts, WebChatClient, errors
from webchat_tui.api._redact import install_redaction
from webchat_tui.api._transport import MAX_RESPONSE_BYTES, HttpTransport, TransportFailure
from webchat_tui.api.models import CreateWebChatConversationRequest

CID = "c0ffee00-0000-4000-8000-000000000001"


def ok(request: HostileRequest) -> bytes:
    return json_response(200, {"id": CID, "state": "CONNECTED"})


def no_answer(request: HostileRequest) -> bytes:
    return b""  # read the request, then close the connection without a response


def garbage(request: HostileRequest) -> bytes:
    return b"NOT-HTTP garbage\r\n\r\n"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def tls_server(certificate: tuple[Path, Path]) -> HostileServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return HostileServer(ok, tls=context)


async def test_an_untrusted_certificate_is_refused_by_default(certificate: tuple[Path, Path]) -> None:
    with tls_server(certificate) as server:
        transport = HttpTransport(timeouts=Timeouts())
        try:
            with pytest.raises(TransportFailure) as caught:
                await transport.request("GET", server.base_url + "/x")
        finally:
            await transport.aclose()
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.NetworkError) as typed:
                await client.get_webchat_guest_conversation_member(CID, CID, jwt="x" * 20)
    assert caught.value.kind == "connect" and caught.value.sent is False
    assert "certificate" in str(caught.value).lower()
    assert typed.value.sent is False
    assert server.requests == []  # nothing went over the refused connection


@pytest.mark.parametrize("trust", ["ca_file", "off"])
async def test_a_trusted_or_unverified_certificate_connects(
    certificate: tuple[Path, Path], trust: str
) -> None:
    verify: bool | str = str(certificate[0]) if trust == "ca_file" else False
    with tls_server(certificate) as server:
        transport = HttpTransport(timeouts=Timeouts(), verify=verify)
        try:
            response = await transport.request("GET", server.base_url + "/x")
        finally:
            await transport.aclose()
    assert response.status == 200 and response.json() == {"id": CID, "state": "CONNECTED"}


async def test_a_connection_closed_without_an_answer_may_have_been_applied() -> None:
    """httpx-aiohttp 0.2.0's own table calls this ConnectTimeout (never sent): a retry would repeat a POST."""
    with HostileServer(no_answer) as server:
        transport = HttpTransport(timeouts=Timeouts())
        try:
            with pytest.raises(TransportFailure) as caught:
                await transport.request("POST", server.base_url + "/x", json_body={"a": 1})
        finally:
            await transport.aclose()
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            before = len(server.requests)
            with pytest.raises(errors.AmbiguousOutcomeError):
                await client.post_webchat_guest_conversations(_create_request())
            posts = len(server.requests) - before
    assert caught.value.kind == "protocol" and caught.value.sent is None
    assert posts == 1  # not retried: the server may have created the conversation


async def test_an_unparsable_response_is_a_protocol_failure() -> None:
    """aiohttp's parser error escaped httpx-aiohttp 0.2.0 unmapped (not an httpx error at all)."""
    with HostileServer(garbage) as server:
        transport = HttpTransport(timeouts=Timeouts())
        try:
            with pytest.raises(TransportFailure) as caught:
                await transport.request("GET", server.base_url + "/x")
        finally:
            await transport.aclose()
    assert caught.value.kind == "protocol"


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "until-close"])
async def test_a_response_body_over_the_limit_is_refused_not_held(announced: bool) -> None:
    """A hostile server may send an endless or huge body; the client stops reading at its limit (announced
    up front, or counted as the body streams in) and reports a protocol failure."""
    body = b"[" + b"0," * 600_000 + b"0]"  # 1.2 MB of valid JSON

    def huge(request: HostileRequest) -> bytes:
        if announced:
            return response(200, body, [(b"Content-Type", b"application/json")])
        return b"HTTP/1.1 200 X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body

    with HostileServer(huge) as server:
        small = HttpTransport(timeouts=Timeouts(), max_response_bytes=1_000_000)
        roomy = HttpTransport(timeouts=Timeouts(), max_response_bytes=2_000_000)
        try:
            with pytest.raises(TransportFailure) as caught:
                await small.request("GET", server.base_url + "/x")
            whole = await roomy.request("GET", server.base_url + "/x")
        finally:
            await small.aclose()
            await roomy.aclose()
    assert caught.value.kind == "protocol" and "over 1000000" in str(caught.value)
    assert whole.content == body


async def test_a_refused_connection_was_never_sent() -> None:
    with HostileServer(ok) as server:
        port = server.port
    transport = HttpTransport(timeouts=Timeouts())
    try:
        with pytest.raises(TransportFailure) as caught:
            await transport.request("GET", f"http://127.0.0.1:{port}/x")
    finally:
        await transport.aclose()
    assert caught.value.kind == "connect" and caught.value.sent is False


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def hang(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    with HostileServer(lambda request: hang) as server:
        transport = HttpTransport(timeouts=Timeouts(read=0.3))
        try:
            with pytest.raises(TransportFailure) as caught:
                await transport.request("GET", server.base_url + "/x")
        finally:
            await transport.aclose()
    assert caught.value.kind == "read_timeout" and caught.value.is_timeout


async def test_the_request_goes_out_as_built() -> None:
    """Headers, query and body reach the server as httpx built them; one Cookie jar (httpx's)."""
    with HostileServer(ok) as server:
        transport = HttpTransport(timeouts=Timeouts(), user_agent="ua-test")
        try:
            await transport.request(
                "PUT",
                server.base_url + "/a%2Fb/c%3Ad",
                headers={"X-One": "1"},
                params={"q": "a b&c"},
                form={"k": "v w"},
            )
        finally:
            await transport.aclose()
    seen = server.requests[0]
    assert seen.method == "PUT" and seen.path == "/a%2Fb/c%3Ad" and seen.query == {"q": ["a b&c"]}
    assert seen.headers["user-agent"] == "ua-test" and seen.headers["x-one"] == "1"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded" and seen.body == b"k=v+w"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
async def test_a_proxy_from_the_environment_carries_the_calls(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """httpx drops environment proxies once it is given a transport: the wire must honour them itself."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with HostileServer(ok) as proxy:
        monkeypatch.setenv(variable, proxy.base_url)
        transport = HttpTransport(timeouts=Timeouts(connect=2.0))
        try:
            response = await transport.request("GET", "http://api.example.invalid/x?q=1")
        finally:
            await transport.aclose()
    assert response.status == 200
    seen = proxy.requests[0]
    assert seen.headers["host"] == "api.example.invalid" and seen.path == "/x" and seen.query == {"q": ["1"]}


async def test_no_proxy_bypasses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with HostileServer(ok) as proxy, HostileServer(ok) as target:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        transport = HttpTransport(timeouts=Timeouts(connect=2.0))
        try:
            await transport.request("GET", target.base_url + "/direct")
        finally:
            await transport.aclose()
    assert proxy.requests == [] and target.requests[0].path == "/direct"


async def test_a_long_response_header_is_accepted_as_before() -> None:
    """httpcore took a response head up to 100 KiB; aiohttp's default stops at 8 KiB per header line."""
    long_value = b"x" * 20_000
    with HostileServer(lambda request: json_response(200, {"ok": True}, [(b"X-Long", long_value)])) as server:
        transport = HttpTransport(timeouts=Timeouts())
        try:
            response = await transport.request("GET", server.base_url + "/x")
        finally:
            await transport.aclose()
    assert response.status == 200 and response.headers["x-long"] == long_value.decode()


def test_the_wire_library_logs_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction()
    # A fake JWT shape ({"alg":"HS256"} . {"sub":"guest"} . a made-up signature), assembled so no real-looking
    # token sits in the source.
    jwt = ".".join(("eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJndWVzdCJ9", "c2lnbmF0dXJlLXNpZ25hdHVyZQ"))
    caplog.set_level(logging.DEBUG)
    for name in ("aiohttp.client", "aiohttp.internal"):
        logging.getLogger(name).warning("request to %s failed", f"http://x/v1/token/{jwt}")
    assert len(caplog.records) == 2 and jwt not in caplog.text and "<redacted>" in caplog.text


def _create_request() -> CreateWebChatConversationRequest:
    return CreateWebChatConversationRequest.model_validate(
        {
            "organizationId": "org",
            "deploymentId": "dep",
            "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
            "memberInfo": {"displayName": "Ada"},
        }
    )


ZEROS = 10_000_000
"""The bomb's decoded size: 10 MB of zeros, about 10 KB gzipped (27 bytes with br)."""


async def _failure(url: str, max_response_bytes: int = MAX_RESPONSE_BYTES) -> TransportFailure:
    """The failure of one GET to ``url`` through a fresh transport."""
    transport = HttpTransport(timeouts=Timeouts(), max_response_bytes=max_response_bytes)
    try:
        with pytest.raises(TransportFailure) as caught:
            await transport.request("GET", url)
    finally:
        await transport.aclose()
    return caught.value


def _encoded(encoding: str, data: bytes) -> bytes:
    import brotli  # the test extras bring it (locust's geventhttpclient); the client decodes br only with it

    for name in [n.strip() for n in encoding.split(",")]:  # in the order they were applied
        data = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[name](data)
    return data


def _bomb_server(encoding: str, data: bytes, *, announced: bool = True) -> HostileServer:
    body = _encoded(encoding, data)
    headers = [(b"Content-Type", b"application/octet-stream"), (b"Content-Encoding", encoding.encode())]

    def bomb(request: HostileRequest) -> bytes:
        if announced:
            return response(200, body, headers)
        head = b"".join(b"%s: %s\r\n" % h for h in headers)
        return b"HTTP/1.1 200 X\r\n" + head + b"Connection: close\r\n\r\n" + body

    return HostileServer(bomb)


@pytest.mark.parametrize(
    ("encoding", "announced"),
    [("gzip", True), ("gzip", False), ("deflate", True), ("br", True), ("gzip, gzip", True)],
)
async def test_a_compression_bomb_is_refused_once_decoded_past_the_limit(
    encoding: str, announced: bool
) -> None:
    """A body small on the wire that inflates past the limit is refused as it inflates: the client never holds
    the whole inflation (the old wire capped only the compressed bytes, then httpx decoded all 10 MB)."""
    with _bomb_server(encoding, bytes(ZEROS), announced=announced) as server:
        tracemalloc.start()
        try:
            failure = await _failure(server.base_url + "/bomb", max_response_bytes=1_000_000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert failure.kind == "protocol" and "over 1000000 bytes once decoded" in str(failure)
    assert peak < 4_000_000, f"{peak} bytes held while refusing a 1 MB limit"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, br"])
async def test_a_compressed_body_under_the_limit_is_decoded_once(encoding: str) -> None:
    """Under the limit the body arrives decoded, with no Content-Encoding left for anyone to decode again, and
    the client asks only for the encodings it can decode with a bound."""
    data = json.dumps({"entities": [{"id": str(i)} for i in range(50_000)]}).encode()
    with _bomb_server(encoding, data) as server:
        transport = HttpTransport(timeouts=Timeouts(), max_response_bytes=len(data))
        try:
            got = await transport.request("GET", server.base_url + "/page")
        finally:
            await transport.aclose()
    assert got.content == data and len(got.json()["entities"]) == 50_000
    assert "content-encoding" not in got.headers and got.headers["content-length"] == str(len(data))
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate, br"


@pytest.mark.parametrize(
    ("encoding", "body", "said"),
    [
        ("zstd", b"\x28\xb5\x2f\xfd" + bytes(100), "unsupported Content-Encoding"),
        ("compress", bytes(100), "unsupported Content-Encoding"),
        ("gzip, x-unknown", bytes(100), "unsupported Content-Encoding"),
        # httpx raised its own `DecodingError` here, which no caller of the transport expects
        ("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 200, "invalid gzip data"),
    ],
)
async def test_an_encoding_that_cannot_be_bounded_or_decoded_is_a_protocol_failure(
    encoding: str, body: bytes, said: str
) -> None:
    def odd(request: HostileRequest) -> bytes:
        return response(200, body, [(b"Content-Encoding", encoding.encode())])

    with HostileServer(odd) as server:
        failure = await _failure(server.base_url + "/x")
    assert failure.kind == "protocol" and said in str(failure)
