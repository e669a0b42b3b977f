"""One page-walking helper for numbered pages (``pageNumber=1, 2, ...``), protocol-neutral and I/O-free.

The caller supplies `fetch(page_number)`; the walk stops at an empty page, once `total` items are held, after
`page_count` pages, or at `max_pages` (a guard against a server that never says it is done).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Page", "walk_numbered_pages"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: its items and, when the server says so, the total item and page counts."""

    items: Sequence[T]
    total: int | None = None
    page_count: int | None = None


async def walk_numbered_pages(
    fetch: Callable[[int], Awaitable[Page[T]]], *, first: int = 1, max_pages: int = 1000
) -> list[T]:
    """Every item of every page, page by page in the server's order."""
    items: list[T] = []
    number = first
    for _ in range(max_pages):
        page = await fetch(number)
        if not page.items:
            break
        items.extend(page.items)
        if page.total is not None and len(items) >= page.total:
            break
        if page.page_count is not None and number - first + 1 >= page.page_count:
            break
        number += 1
    return items
