"""The guest session token, persisted per deployment so a guest comes back to the same conversation after a
restart (as Messenger does with its local storage).

One JSON file (``{"<deploymentId>": "<token>"}``) in the platform data directory, written atomically with mode
0600 by `safe_files.write_private_atomic` (no write through a planted link): the token is the only credential
of a guest session. The path is injectable for tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from webchat_tui.safe_files import write_private_atomic

__all__ = ["TokenStore", "default_token_path"]


def default_token_path() -> Path:
    """``<user data dir>/webchat-tui/messaging-tokens.json``."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("webchat-tui", appauthor=False)) / "messaging-tokens.json"


class TokenStore:
    """Tokens by deployment id. `None` as path keeps them in memory only (nothing persisted)."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self._memory: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"TokenStore(path={str(self.path)!r})"

    def _read(self) -> dict[str, str]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def _write(self, tokens: dict[str, str]) -> None:
        if self.path is None:
            self._memory = dict(tokens)
            return
        write_private_atomic(self.path, json.dumps(tokens, indent=1, sort_keys=True).encode())

    def get(self, deployment_id: str) -> str | None:
        """The stored token for a deployment, if any."""
        return self._read().get(deployment_id)

    def put(self, deployment_id: str, token: str) -> None:
        """Store a token for a deployment."""
        tokens = self._read()
        tokens[deployment_id] = token
        self._write(tokens)

    def forget(self, deployment_id: str) -> None:
        """Drop a deployment's token (after 4017, as the vendor's client does)."""
        tokens = self._read()
        if tokens.pop(deployment_id, None) is not None:
            self._write(tokens)
