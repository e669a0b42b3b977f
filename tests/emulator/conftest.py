"""Fixtures local to the emulator suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from webchat_tui.emulator import EmbeddedEmulator


@pytest.fixture
async def http(emu: EmbeddedEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """An async HTTP client on the freshly reset emulator."""
    async with httpx.AsyncClient(base_url=emu.base_url, timeout=10.0) as client:
        yield client
