"""Who the client is: the peer address, or what a trusted reverse proxy says it is.

``X-Forwarded-For`` is believed only when the connection comes from an address listed in
``MARKETPLACE_TRUSTED_PROXIES``; then the chain is read from the right and the first address
that is not one of our proxies is the client (anything left of it could be forged by the
client itself). Every throttle and every recorded client address uses ``client_ip``.
"""

import ipaddress
from functools import lru_cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=16)
def parse_networks(value: str) -> tuple[Network, ...]:
    """The networks of a comma-separated list of addresses and CIDRs; ValueError if bad."""
    networks = []
    for item in (part.strip() for part in (value or "").split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: Request) -> str:
    """The client's address as text (at most 45 characters)."""
    peer = request.client.host if request.client else ""
    peer_address = _address(peer)
    if peer_address is None:
        return (peer or UNKNOWN)[:45]
    settings = getattr(request.app.state, "settings", None)
    networks = parse_networks(getattr(settings, "trusted_proxies", "") or "")
    client = peer_address
    if networks and _trusted(peer_address, networks):
        hops = [hop for header in request.headers.getlist("x-forwarded-for")
                for hop in header.split(",")]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # garbage: believe nothing further left
            client = address
            if not _trusted(address, networks):
                break
    return str(client)


def uvicorn_proxy_options(settings) -> dict:
    """uvicorn's proxy-header options matching ``client_ip``: the same trusted proxies
    (by default uvicorn would believe any X-Forwarded-For sent from 127.0.0.1)."""
    networks = parse_networks(settings.trusted_proxies)
    if not networks:
        return {"proxy_headers": False}
    items = ",".join(part.strip() for part in settings.trusted_proxies.split(",") if part.strip())
    return {"proxy_headers": True, "forwarded_allow_ips": items}


def network_of(ip: str) -> str:
    """What limits count a client by: its IPv4 address, or its IPv6 address's /64 network
    (one subscriber's block, whose addresses it can change at will)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:45]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
