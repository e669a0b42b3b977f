"""`UploadProgress`: one file on its way up, as "↑ name" and a bar of the bytes sent (large files only)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar

__all__ = ["LARGE_UPLOAD_BYTES", "UploadProgress"]

LARGE_UPLOAD_BYTES = 100_000
"""From this size on an upload shows a progress bar (a smaller one is done before a bar could be read)."""


class UploadProgress(Horizontal):
    """A one-line bar under the transcript while a file uploads; the screen removes it when done or failed."""

    DEFAULT_CSS = """
    UploadProgress { height: 1; padding: 0 1; }
    UploadProgress > Label { width: auto; max-width: 50%; margin-right: 1; color: $text-muted; }
    UploadProgress > ProgressBar { width: 1fr; }
    """

    def __init__(self, file_name: str, total: int) -> None:
        super().__init__(classes="upload-progress")
        self._file_name = file_name
        self.total = total
        """The file's size in bytes."""

    def compose(self) -> ComposeResult:
        yield Label(Content(f"↑ {self._file_name}"), markup=False)
        yield ProgressBar(total=self.total, show_eta=False)

    @property
    def sent(self) -> float:
        """Bytes sent so far."""
        return self.query_one(ProgressBar).progress

    def advance_to(self, sent: int) -> None:
        """`sent` bytes of the file went out."""
        self.query_one(ProgressBar).update(progress=sent)
