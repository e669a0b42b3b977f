"""Secrets never appear in logs (ours, httpx's, httpcore's, websockets'), reprs or exceptions.

Sentinels: the guest JWT the emulator issues (it is also in the websocket URL), the OAuth client secret and
access token, the member auth token, and a planted fake JWT that the server rejects."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import FAST_RETRY, FAST_STREAM
from webchat_tui.api import ChatSession, GuestMemberInfo, SessionState, WebChatClient, errors

CLIENT_LOGGERS = ("webchat_tui.api", "httpx", "httpcore", "websockets")
# The embedded emulator shares the process: its uvicorn logs websocket paths, which hold the JWT.
LOGGERS = (*CLIENT_LOGGERS, "uvicorn.error")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    previous = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    # uvicorn's loggers do not propagate to the root, so listen to them directly as well.
    logging.getLogger("uvicorn").addHandler(caplog.handler)
    yield caplog
    logging.getLogger("uvicorn").removeHandler(caplog.handler)
    for name, level in previous.items():
        logging.getLogger(name).setLevel(level)


async def test_no_secret_in_any_log_line_repr_or_error(emu, control, debug_logs) -> None:  # type: ignore[no-untyped-def]
    # A fake JWT shape ({"alg":"HS256"} . {"SENTINEL":"PLANTED"} . no signature), assembled so no real-looking
    # token sits in the source.
    planted = ".".join(
        ("eyJhbGciOiJIUzI1NiJ9", "eyJTRU5USU5FTCI6IlBMQU5URUQifQ", "SENTINEL-PLANTED-SIGNATURE")
    )
    secrets = [emu.seed.client_secret, emu.seed.member_auth_token, planted]
    async with WebChatClient(
        base_url=emu.base_url,
        client_id=emu.seed.client_id,
        client_secret=emu.seed.client_secret,
        retry=FAST_RETRY,
    ) as client:
        session = ChatSession(client, stream_options=FAST_STREAM)
        await session.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.auth_deployment_id,
            queue="Support",
            member_info=GuestMemberInfo(display_name="Ada"),
            member_auth_token=emu.seed.member_auth_token,
        )
        cid = session.conversation_id
        assert cid is not None
        jwt = session._jwt.get() if session._jwt else ""
        assert jwt
        secrets.append(jwt)
        await session.wait_until(lambda s: s.state is SessionState.CONNECTED)
        await session.send("hello")
        assert (
            session.stream is not None and session.stream.drop_connection()
        )  # reconnect: handshake logged again
        await session.wait_until(
            lambda s: s.stream is not None and s.stream.connects >= 2 and s.state is SessionState.CONNECTED
        )
        await client.get_webchat_deployments()
        assert client._admin_token is not None
        secrets.append(client._admin_token.value.get())

        caught: list[BaseException] = []
        try:
            await client.get_webchat_guest_conversation_members(cid, jwt=planted)
        except errors.AuthenticationError as exc:
            caught.append(exc)
        try:
            async with WebChatClient(
                base_url=emu.base_url, client_id=emu.seed.client_id, client_secret=planted, retry=FAST_RETRY
            ) as bad:
                await bad.get_webchat_settings()
        except errors.OAuthError as exc:
            caught.append(exc)
        assert len(caught) == 2
        await session.leave()  # the leave and the socket's close are logged too: check them as well

        objects = [client, session, session.stream, *session.members, *session.messages, *caught]
        texts = [repr(o) for o in objects] + [str(o) for o in objects]
        texts += [
            r.getMessage()
            for r in debug_logs.records
            if not r.name.startswith("webchat_tui.emulator")  # the emulator's own logs are not the client's
        ]
        texts += [r.exc_text or "" for r in debug_logs.records]

    client_lines = [r for r in debug_logs.records if r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name.startswith("httpx") for r in client_lines), "httpx logging was not captured"
    assert any(r.name.startswith("webchat_tui.api.ws") for r in client_lines), (
        "websockets logging was not captured"
    )
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"a secret leaked: {leaks[:3]}"
    assert any("<redacted>" in t for t in texts)
    uvicorn_lines = [r.getMessage() for r in debug_logs.records if r.name.startswith("uvicorn")]
    assert any(
        "/v1/token/<redacted>" in line for line in uvicorn_lines
    )  # the filter really ran on something secret-bearing
