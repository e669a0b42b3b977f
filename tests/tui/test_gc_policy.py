"""The history freezer takes long-lived objects out of the collector's scans without freezing garbage."""

from __future__ import annotations

import gc

from webchat_tui.tui.gc_policy import HistoryFreezer


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector can free it


def test_freezes_only_after_enough_new_history() -> None:
    freezer = HistoryFreezer(every=100)
    try:
        freezer.added(60)
        assert freezer.freezes == 0
        before = gc.get_freeze_count()
        freezer.added(40)
        assert freezer.freezes == 1
        assert gc.get_freeze_count() > before
        freezer.added(99)
        assert freezer.freezes == 1
    finally:
        gc.unfreeze()


def test_young_garbage_cycles_are_collected_not_frozen() -> None:
    gc.collect()
    gc.unfreeze()
    freezer = HistoryFreezer(every=1)
    try:
        for _ in range(1000):
            _Node()  # unreachable cycles, still in the young generations
        freezer.added(1)
        assert not any(isinstance(o, _Node) for o in gc.get_objects())
        kept = [_Node() for _ in range(10)]
        freezer.added(1)
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
