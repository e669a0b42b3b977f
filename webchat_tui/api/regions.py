"""The Genesys Cloud regions (protocol.md §10.2; Web Messaging protocol.md §1.1) and how a user's
`environment=` maps to API, login, Web Messaging websocket and CDN URLs. The project's one region
table."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webchat_tui.api.errors import ClientValidationError

__all__ = ["REGIONS", "Region", "resolve_environment"]


@dataclass(frozen=True, slots=True)
class Region:
    """One Genesys Cloud region: its SDK key and environment host."""

    key: str
    env_host: str

    @property
    def label(self) -> str:
        """The region key as people write it (``eu-west-1``; the US government region says so)."""
        name = self.key.replace("_", "-")
        return f"{name} (gov)" if "gov" in self.env_host else name

    @property
    def api_url(self) -> str:
        """``https://api.<envHost>``."""
        return f"https://api.{self.env_host}"

    @property
    def login_url(self) -> str:
        """``https://login.<envHost>`` (the OAuth token host)."""
        return f"https://login.{self.env_host}"

    @property
    def messaging_ws_url(self) -> str:
        """``wss://webmessaging.<envHost>/v1`` (the Web Messaging guest websocket)."""
        return f"wss://webmessaging.{self.env_host}/v1"

    @property
    def cdn_url(self) -> str:
        """``https://api-cdn.<envHost>`` (Web Messaging deployment configuration)."""
        return f"https://api-cdn.{self.env_host}"


REGIONS: tuple[Region, ...] = (
    Region("us_east_1", "mypurecloud.com"),
    Region("eu_west_1", "mypurecloud.ie"),
    Region("ap_southeast_2", "mypurecloud.com.au"),
    Region("ap_northeast_1", "mypurecloud.jp"),
    Region("eu_central_1", "mypurecloud.de"),
    Region("us_west_2", "usw2.pure.cloud"),
    Region("ca_central_1", "cac1.pure.cloud"),
    Region("ap_northeast_2", "apne2.pure.cloud"),
    Region("eu_west_2", "euw2.pure.cloud"),
    Region("ap_south_1", "aps1.pure.cloud"),
    Region("us_east_2", "use2.us-gov-pure.cloud"),
    Region("sa_east_1", "sae1.pure.cloud"),
    Region("me_central_1", "mec1.pure.cloud"),
    Region("ap_northeast_3", "apne3.pure.cloud"),
    Region("eu_central_2", "euc2.pure.cloud"),
    Region("mx_central_1", "mxc1.pure.cloud"),
    Region("ap_southeast_1", "apse1.pure.cloud"),
)
_BY_KEY = {r.key: r for r in REGIONS}
_BY_HOST = {r.env_host: r for r in REGIONS}


def resolve_environment(environment: str) -> Region:
    """Map ``mypurecloud.ie``, ``api.mypurecloud.ie``, ``https://api.mypurecloud.ie``,
    ``wss://webmessaging.mypurecloud.ie/v1``, ``eu_west_1`` or ``eu-west-1`` to a `Region`.

    Raises `ClientValidationError` (field ``environment``) for anything that is not one of the 17 regions.
    """
    text = environment.strip().lower().rstrip("/")
    if text.replace("-", "_") in _BY_KEY:
        return _BY_KEY[text.replace("-", "_")]
    if "://" in text:
        text = urlsplit(text).hostname or ""
    for prefix in ("api-cdn.", "api.", "login.", "webmessaging."):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    region = _BY_HOST.get(text)
    if region is None:
        raise ClientValidationError(
            "environment",
            f"unknown Genesys Cloud region {environment!r}; use one of: "
            + ", ".join(r.env_host for r in REGIONS),
        )
    return region
