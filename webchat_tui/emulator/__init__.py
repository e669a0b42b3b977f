"""Local emulator of the Genesys Cloud Web Chat v2 API (19 operations, event stream, control API).

Importing this package is cheap: FastAPI and uvicorn load only when a server starts.
"""

from __future__ import annotations

from webchat_tui.emulator.config import EmulatorConfig, SeedInfo
from webchat_tui.emulator.server import EmbeddedEmulator

__all__ = ["EmbeddedEmulator", "EmulatorConfig", "SeedInfo"]
