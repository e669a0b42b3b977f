"""The one cursor-pagination helper: follow ``after=<last id>`` pages to the end without trusting the server.

A server may repeat a page, hand back a cursor it already gave, never say "last page", or answer slowly
forever, or stuff each page with more items than asked for. `follow_cursor` stops all of these with a typed
`PagingError`: the cursor must advance to a value never seen in this walk, at most `PageLimits.max_pages`
pages and `PageLimits.max_items` items are read, and the walk takes at most `PageLimits.max_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from webchat_tui.api.errors import PagingError

__all__ = ["CursorPage", "PageLimits", "follow_cursor"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    """One page: its usable items and the cursor of the next page (None on the last page)."""

    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PageLimits:
    """Bounds of one walk over a paged collection."""

    max_pages: int = 1000
    """Pages read at most (1,000 pages of 100 messages: more than any real chat holds)."""
    max_seconds: float = 120.0
    """Wall time of the whole walk at most (each request is also bounded by `Timeouts.total`)."""
    max_items: int = 100_000
    """Items read at most over all pages (1,000 full pages of 100), however many a page holds."""


async def follow_cursor(
    fetch: Callable[[str | None], Awaitable[CursorPage[T]]],
    *,
    after: str | None,
    limits: PageLimits,
    operation: str,
) -> AsyncIterator[CursorPage[T]]:
    """Yield the pages after ``after`` (``None``: from the start), each fetched with ``fetch(cursor)``.

    Raises `PagingError` when the server's paging cannot be followed (see the module docstring); errors of
    ``fetch`` propagate unchanged.
    """
    started = time.monotonic()
    seen: set[str] = set() if after is None else {after}
    cursor = after
    items = 0
    for _ in range(limits.max_pages):
        page = await fetch(cursor)
        items += len(page.items)
        if items > limits.max_items:
            raise PagingError(f"{operation}: more than {limits.max_items} items; giving up")
        yield page
        following = page.next_cursor
        if following is None:
            return
        if following in seen:
            raise PagingError(f"{operation}: the server repeated the page cursor {following!r}; giving up")
        if time.monotonic() - started > limits.max_seconds:
            raise PagingError(f"{operation}: reading the pages took longer than {limits.max_seconds:g} s")
        seen.add(following)
        cursor = following
    raise PagingError(f"{operation}: more than {limits.max_pages} pages; giving up")
