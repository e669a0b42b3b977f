"""Both protocols satisfy the one `Session` interface: statically (mypy --strict on this file) and at run time
(`runtime_checkable`). The old import path of the vocabulary keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from webchat_tui.api import ChatSession, WebChatClient
from webchat_tui.chat import RichReplies, Session
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore


def as_session_v2(client: WebChatClient) -> Session:
    session: Session = ChatSession(client)  # a static check: mypy fails this file if ChatSession drifts
    return session


def as_session_messaging(client: MessagingClient) -> Session:
    session: Session = MessagingSession(client, token_store=TokenStore(None))
    rich: RichReplies = MessagingSession(client, token_store=TokenStore(None))
    assert rich is not None
    return session


async def test_both_sessions_are_sessions_at_run_time() -> None:
    v2 = WebChatClient(base_url="http://127.0.0.1:9")
    messaging = MessagingClient("dep", base_url="http://127.0.0.1:9")
    try:
        assert isinstance(as_session_v2(v2), Session)
        session = as_session_messaging(messaging)
        assert isinstance(session, Session) and isinstance(session, RichReplies)
        assert not isinstance(ChatSession(v2), RichReplies)  # Web Chat v2 has no rich content
    finally:
        await v2.aclose()
        await messaging.close()


def test_old_vocabulary_imports_still_work() -> None:
    from webchat_tui.api import ChatMessage as A
    from webchat_tui.api.session_types import ChatMessage as B
    from webchat_tui.api.session_types import SessionEvent, SessionState
    from webchat_tui.chat import ChatMessage as C

    assert A is B is C
    assert SessionState.READ_ONLY.value == "read_only" and SessionEvent is not None


def test_this_file_type_checks_strictly() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(Path(__file__))],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_chat_core_imports_no_network_ui_or_validation_library() -> None:
    probe = "import sys, webchat_tui.chat; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in out.strip().split(",")}
    assert not loaded & {"httpx", "websockets", "pydantic", "textual", "rich"}


def test_messaging_never_imports_textual_or_rich() -> None:
    probe = "import sys, webchat_tui.messaging; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in out.strip().split(",")}
    assert "webchat_tui" in loaded and not loaded & {"textual", "rich"}
