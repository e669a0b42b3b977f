"""Files the app hands to the user: in a browser (`webchat-tui serve`) they are downloads, not files on the
server's disk."""

from __future__ import annotations

import io
from typing import Any

from textual.app import App

_MIME_TYPES = {".json": "application/json", ".md": "text/markdown"}


def deliver_to_browser(app: App[Any], text: str, filename: str) -> bool:
    """When `app` runs in a web browser, send `text` to it as a download named `filename` and return True.

    In a terminal return False and do nothing: the caller writes the file itself. The download is started by
    textual-serve's page when the server has the file's first chunk (`App.deliver_text`, web driver).
    """
    if not app.is_web:
        return False
    suffix = filename[filename.rfind(".") :] if "." in filename else ""
    app.deliver_text(
        io.StringIO(text),
        save_filename=filename,
        mime_type=_MIME_TYPES.get(suffix, "text/plain"),
        encoding="utf-8",
    )
    return True
