"""`FilePickScreen`: choose a file to send, by keyboard (a directory tree) or by typing its path.

| key          | action                                   |
|--------------|------------------------------------------|
| up / down    | move in the tree                         |
| enter        | open a folder, or pick the file          |
| tab          | between the tree and the path box        |
| escape       | cancel                                   |
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Footer, Input, Static

__all__ = ["FilePickScreen"]


class FilePickScreen(ModalScreen[Path | None]):
    """Dismisses with the chosen file's path, or None (escape)."""

    DEFAULT_CSS = """
    FilePickScreen #file-dialog { width: 90%; height: 80%; }
    FilePickScreen DirectoryTree { height: 1fr; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="file-pick.cancel")]

    def __init__(self, start: Path, rules: str = "") -> None:
        super().__init__()
        self._start = start
        self._rules = rules

    def compose(self) -> ComposeResult:
        with Vertical(id="file-dialog", classes="dialog"):
            yield Static(Content("Send a file"), classes="dialog-title")
            if self._rules:
                yield Static(Content(self._rules), classes="dialog-detail")
            yield DirectoryTree(self._start, id="file-tree")
            yield Input(placeholder="or type a path and press Enter", id="file-path", compact=True)
            yield Static("", id="file-problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(Path(event.path))

    @on(Input.Submitted, "#file-path")
    def _path_typed(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not path.is_file():
            self.query_one("#file-problem", Static).update(Content(f"Not a file: {path}"))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Close without a file."""
        self.dismiss(None)
