"""Websocket, API and CDN hosts for every region of protocol.md §1.1. URL-only: there is no network here, so
this checks the URLs the client would use and never connects to a real region."""

from __future__ import annotations

import pytest

from webchat_tui.api.regions import REGIONS
from webchat_tui.messaging import MessagingClient, resolve_endpoints
from webchat_tui.messaging.errors import MessagingConfigError

# protocol.md §1.1, copied on purpose: a change to the region table must be checked against the contract.
PROTOCOL_DOMAINS = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
}


def test_the_one_region_table_holds_every_region_of_the_contract() -> None:
    assert {r.key: r.env_host for r in REGIONS} == PROTOCOL_DOMAINS


@pytest.mark.parametrize(("key", "domain"), sorted(PROTOCOL_DOMAINS.items()))
def test_hosts_of_each_region(key: str, domain: str) -> None:
    for environment in (key, domain, f"api.{domain}", f"wss://webmessaging.{domain}/v1", f"api-cdn.{domain}"):
        endpoints = resolve_endpoints(environment=environment)
        assert endpoints.ws_url == f"wss://webmessaging.{domain}/v1"
        assert endpoints.api_url == f"https://api.{domain}"
        assert endpoints.cdn_url == f"https://api-cdn.{domain}"
    assert endpoints.history_url == f"https://api.{domain}/api/v2/webmessaging/messages"
    assert (
        endpoints.config_url("D-1")
        == f"https://api-cdn.{domain}/webdeployments/v1/deployments/D-1/config.json"
    )


def test_websocket_url_carries_deployment_and_application() -> None:
    client = MessagingClient("dep-1", environment="mypurecloud.ie")
    assert client.ws_url.startswith("wss://webmessaging.mypurecloud.ie/v1?deploymentId=dep-1&application=")


def test_base_url_for_the_emulator() -> None:
    plain = resolve_endpoints(base_url="http://127.0.0.1:8765/")
    assert (plain.ws_url, plain.api_url, plain.cdn_url) == (
        "ws://127.0.0.1:8765/v1",
        "http://127.0.0.1:8765",
        "http://127.0.0.1:8765",
    )
    assert resolve_endpoints(base_url="https://localhost:9443").ws_url == "wss://localhost:9443/v1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"environment": "x", "base_url": "http://a"},
        {"environment": "nowhere.example"},
        {"base_url": "ftp://a"},
    ],
)
def test_bad_endpoint_settings_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(MessagingConfigError):
        resolve_endpoints(**kwargs)
