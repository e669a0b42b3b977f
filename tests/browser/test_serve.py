"""`webchat-tui serve` in a real headless Chromium (Debian's package, driven by Playwright).

`serve` runs as a real process on an ephemeral port with its own emulator; everything is checked in that
emulator's record (control API) and in what the browser received.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.driver import (
    chromium_page,
    control_for,
    guest_conversation,
    open_app,
    output_text,
    serve_process,
    wait_for,
    wait_for_output,
    why_no_browser,
)
from webchat_tui.emulator.control_client import ControlClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
"""`serve_process` runs `serve` here: where a transcript would land if it were written on the server."""
REASON = why_no_browser()
needs_browser = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _customer(conversation: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in conversation["members"] if m["role"] == "CUSTOMER")


@needs_browser
def test_a_guest_chats_from_the_browser_and_downloads_the_transcript(tmp_path: Path) -> None:
    with serve_process("--channel", "webchat") as serve, chromium_page() as page:
        control = control_for(serve)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        try:
            open_app(page, serve.url)
            page.keyboard.type("Ada Browser")
            page.keyboard.press("Enter")

            conversation = wait_for(lambda: guest_conversation(control, "Ada Browser"), "the guest's chat")
            cid, guest = conversation["id"], _customer(conversation)["id"]
            wait_for_output(page, "How can I help")  # the simulated agent's greeting: the chat is live

            text = "hello from the browser"
            page.keyboard.type(text)
            wait_for_output(page, text)  # drawn in the message box before Enter, as a person would see it
            page.keyboard.press("Enter")

            def sent() -> bool:
                return any(
                    e["kind"] == "message" and e.get("senderId") == guest and e.get("body") == text
                    for e in control.record(cid)
                )

            wait_for(sent, "the guest's message in the emulator's record")
            wait_for_output(page, f'("{text}")')  # the agent's reply quotes it: it came back to the page

            # ctrl+s in a browser: the transcript arrives as a download, not as a file on the server.
            with page.expect_download(timeout=60_000) as download_info:
                page.keyboard.press("Control+s")
            download = download_info.value
            assert download.suggested_filename.startswith(f"transcript-{cid[:8]}-")
            assert download.suggested_filename.endswith(".md")
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            transcript = saved.read_text(encoding="utf-8")
            assert "**Ada Browser**" in transcript and text in transcript
            wait_for_output(page, "Transcript sent to your browser")
            assert not list(REPO.glob(f"transcript-{cid[:8]}-*")), "written on the server too (its cwd)"

            # The page works offline: everything it loaded came from `serve` itself.
            fetched = [url for url in requests if not url.startswith("data:")]
            assert fetched and all(url.startswith(serve.url) for url in fetched), fetched

            # Closing the tab ends that tab's app, which leaves the chat: the agent sees the guest go.
            page.close()

            def left() -> bool:
                return bool(_customer(control.conversation(cid))["state"] == "DISCONNECTED")

            wait_for(left, "the guest to leave after the tab closed")
        except BaseException:
            print("serve stderr:\n" + "".join(serve.log)[-4000:])
            if not page.is_closed():
                print("page text:\n" + output_text(page)[-2000:])
            raise
        finally:
            control.close()


def _inbound(control: Any, sid: str, text: str) -> bool:
    return any(
        m.get("direction") == "Inbound" and m.get("text") == text for m in control.messaging_messages(sid)
    )


@needs_browser
def test_browser_guests_use_web_messaging_each_tab_its_own_conversation() -> None:
    """`serve` starts the trainees' form on Web Messaging (the app's default; the agent console serves both
    channels). Every tab's app runs as the same server user, yet two tabs are two conversations (each keeps
    its token to itself), and closing a tab ends its conversation (nothing could resume it)."""
    with serve_process() as serve, chromium_page() as page:
        control = control_for(serve)
        deployment = serve.emulator["messaging_deployment_id"]

        def sessions() -> list[dict[str, Any]]:
            return control.messaging_sessions(deployment_id=deployment)

        second = None
        try:
            open_app(page, serve.url)
            wait_for_output(page, "Web Messaging")  # the form's channel
            page.keyboard.type("Ada Browser")
            wait_for_output(page, "Ada Browser")  # drawn in the form: the app has the keys
            page.keyboard.press("Enter")
            first = wait_for(lambda: sessions()[0] if len(sessions()) == 1 else None, "the first session")
            wait_for_output(page, "Talk to an agent")  # the bot-first deployment's menu: the chat is live
            text = "hello over web messaging"
            page.keyboard.type(text)
            wait_for_output(page, text)
            page.keyboard.press("Enter")
            wait_for(lambda: _inbound(control, first["id"], text), "the guest's message in the transcript")

            second = page.context.new_page()  # a second tab, in front (a background tab's keys go nowhere)
            second.bring_to_front()
            open_app(second, serve.url)
            second.keyboard.type("Bea Browser")
            wait_for_output(second, "Bea Browser")
            second.keyboard.press("Enter")
            both = wait_for(lambda: sessions() if len(sessions()) == 2 else None, "a second session")
            assert len({s["token"] for s in both}) == 2, "the second tab resumed the first tab's conversation"
            wait_for_output(second, "Talk to an agent")
            assert "Resume" not in output_text(second)  # nothing stored to offer

            # Closing the first tab ends its app, which ends its conversation.
            page.close()

            def ended() -> bool:
                summary = next(s for s in sessions() if s["id"] == first["id"])
                return bool(summary["readOnly"]) or summary["phase"] == "ended"

            wait_for(ended, "the first conversation to end after its tab closed")
            assert not next(s for s in sessions() if s["id"] != first["id"])["readOnly"]
        except BaseException:
            print("serve stderr:\n" + "".join(serve.log)[-4000:])
            for shown in (page, second):
                if shown is not None and not shown.is_closed():
                    print("page text:\n" + output_text(shown)[-2000:])
            raise
        finally:
            control.close()


def test_other_sites_cannot_open_sessions_and_the_session_cap_holds() -> None:
    """No browser needed: the page's websocket protocol spoken directly (what a hostile page would do)."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect
    from websockets.typing import Origin

    with serve_process("--max-sessions", "1") as serve:
        ws_url = serve.url.replace("http://", "ws://") + "ws?width=80&height=24"
        page = Origin(serve.url.rstrip("/"))

        # A page from another site may not start an app here (browsers always send Origin).
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, origin=Origin("http://evil.example"), open_timeout=30).close()
        assert refused.value.response.status_code == 403

        with connect(ws_url, origin=page, open_timeout=30) as first:
            assert first.recv(timeout=60)  # the app process started and sent its first bytes
            with connect(ws_url, origin=page, open_timeout=30) as second:
                with pytest.raises(ConnectionClosed) as closed:
                    second.recv(timeout=60)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013


def test_only_this_servers_host_names_are_answered() -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to this machine sends `Host:
    evil.example` (and a matching Origin), so only the Host tells it apart. IP addresses, localhost and
    --public-host names are answered; any other name gets 400, the page and the websocket alike."""
    import socket
    from urllib.parse import urlsplit

    import httpx
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect
    from websockets.typing import Origin

    with serve_process("--public-host", "Trainer.Local") as serve:
        port = urlsplit(serve.url).port
        with httpx.Client(base_url=serve.url, timeout=30) as http:
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"trainer.local:{port}", f"[::1]:{port}"):
                assert http.get("/", headers={"Host": host}).status_code == 200, host
            for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
                response = http.get("/", headers={"Host": host})
                assert response.status_code == 400, host
                assert "unknown Host" in response.text
        # The websocket, reached by the rebinding name (the socket goes to this machine, as DNS would).
        with pytest.raises(InvalidStatus) as refused:
            connect(
                f"ws://evil.example:{port}/ws?width=80&height=24",
                sock=socket.create_connection(("127.0.0.1", port)),
                origin=Origin(f"http://evil.example:{port}"),
                open_timeout=30,
            ).close()
        assert refused.value.response.status_code == 400


def test_api_base_without_ids_is_refused_plainly() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "webchat_tui", "serve", "--port", "0", "--api-base", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--api-base needs --org and --deployment" in result.stderr
    assert "Traceback" not in result.stderr


@needs_browser
def test_a_trainee_in_a_browser_waits_at_the_workshop_desk() -> None:
    """The workshop's page (its `serve` child) puts a trainee on Web Messaging with the deployment that has no
    bot: the conversation waits at the trainer's desk at once under the name typed in the form, and what the
    trainer sends reaches the page."""
    import subprocess

    from webchat_tui.workshop import Workshop

    shop = Workshop(port=0, stderr=subprocess.DEVNULL)
    shop.start()
    try:
        control = ControlClient.from_info(shop.emulator_info)
        with chromium_page() as page:
            open_app(page, shop.trainee_url)
            page.keyboard.type("Ada Trainee")
            wait_for_output(page, "Ada Trainee")  # drawn in the form: the app has the keys
            page.keyboard.press("Enter")

            def waiting() -> dict[str, Any] | None:
                return next((c for c in control.desk() if c["state"] == "waiting"), None)

            entry = wait_for(waiting, "the trainee at the desk")
            assert entry["channel"] == "messaging"
            assert entry["guest"] == "Ada Trainee"  # the form's name, sent as the displayName attribute
            assert entry["deploymentId"] == shop.emulator_info["messaging_direct_deployment_id"]
            control.take("messaging", entry["id"], "Trainer Tess")
            control.messaging_agent_messages(entry["id"], "Welcome to the workshop")
            wait_for_output(page, "Welcome to the workshop")
        control.close()
    finally:
        shop.stop()


def test_api_base_on_web_messaging_needs_its_deployment() -> None:
    """With --api-base the tabs start on Web Messaging, whose deployment `serve` cannot guess."""
    import subprocess
    import sys

    base = [sys.executable, "-m", "webchat_tui", "serve", "--port", "0", "--api-base", "http://127.0.0.1:9"]
    result = subprocess.run(
        [*base, "--org", "o", "--deployment", "d"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "--api-base needs --messaging-deployment (or --channel webchat)" in result.stderr
    assert "Traceback" not in result.stderr
