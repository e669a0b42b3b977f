"""Where a Web Messaging client connects: a region from the one region table (`webchat_tui.api.regions`), or
an explicit base URL (the emulator)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webchat_tui.api.regions import resolve_environment
from webchat_tui.messaging.errors import MessagingConfigError

__all__ = ["Endpoints", "resolve_endpoints"]


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The three bases a guest uses: websocket (``.../v1``), REST API, and deployment-config CDN."""

    ws_url: str
    api_url: str
    cdn_url: str

    def config_url(self, deployment_id: str) -> str:
        """``GET`` here for the deployment's configuration (protocol.md §10.1)."""
        return f"{self.cdn_url}/webdeployments/v1/deployments/{deployment_id}/config.json"

    @property
    def history_url(self) -> str:
        """The history endpoint (protocol.md §9)."""
        return f"{self.api_url}/api/v2/webmessaging/messages"


def resolve_endpoints(*, environment: str | None = None, base_url: str | None = None) -> Endpoints:
    """Endpoints for a region (``environment="mypurecloud.ie"`` or ``"eu_west_1"``) or for a base URL
    (``base_url="http://127.0.0.1:8765"``: websocket ``ws://127.0.0.1:8765/v1``, REST and CDN on the same
    host; ``https`` gives ``wss``). Exactly one of the two must be given."""
    if (environment is None) == (base_url is None):
        raise MessagingConfigError("give exactly one of environment= or base_url=")
    if environment is not None:
        try:
            region = resolve_environment(environment)
        except ValueError as exc:
            raise MessagingConfigError(str(exc)) from None
        return Endpoints(ws_url=region.messaging_ws_url, api_url=region.api_url, cdn_url=region.cdn_url)
    assert base_url is not None
    parts = urlsplit(base_url.rstrip("/"))
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise MessagingConfigError(f"base_url must be http(s)://host:port, not {base_url!r}")
    secure = parts.scheme in ("https", "wss")
    http = f"{'https' if secure else 'http'}://{parts.netloc}"
    return Endpoints(ws_url=f"{'wss' if secure else 'ws'}://{parts.netloc}/v1", api_url=http, cdn_url=http)
