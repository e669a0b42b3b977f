"""The session vocabulary keeps secrets out of reprs."""

from __future__ import annotations

from webchat_tui.api.session_types import MediaRequest


def test_media_request_repr_hides_the_security_key() -> None:
    request = MediaRequest(id="mr-1", types=("SCREENSHARE",), state="PENDING", security_key="SENTINEL-KEY-42")
    assert "SENTINEL-KEY-42" not in repr(request)
    assert "SENTINEL-KEY-42" not in str(request)
    assert request.security_key == "SENTINEL-KEY-42"
