"""Which binding ids exist, so a `[keymap]` entry naming none of them is reported instead of ignored."""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode

__all__ = ["known_binding_ids"]


def known_binding_ids() -> set[str]:
    """Every binding id declared by the app, its screens and widgets (and Textual's own), read from the
    classes that are imported: the chat screen's ids count once its module is imported."""
    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if not cls.__module__.startswith(("webchat_tui", "textual")):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
