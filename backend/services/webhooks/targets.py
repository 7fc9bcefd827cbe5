"""Webhook targets must be public addresses (no SSRF into the shop's network or a cloud metadata service):
the host is resolved and every address checked at registration and again at each send, and the connection
goes to the address that was checked. ``WEBHOOK_ALLOWED_HOSTS`` lists the on-premises exceptions."""
from __future__ import annotations

import fnmatch
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from backend.errors import ValidationFailed
from backend.services.webhooks.settings import setting

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_KIND_ZH = {"loopback": "回环地址", "private": "内网地址", "link-local": "链路本地地址", "multicast": "组播地址",
            "reserved": "保留地址", "unspecified": "未指定地址"}
# An allow-listed host name may resolve to these; the others (metadata services live on link-local) need a CIDR.
_NAME_MAY_BE = {"loopback", "private"}
_dns_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class TargetRefused(Exception):
    """The URL's host is not a public address (``kind``) or cannot be resolved (``kind`` None)."""

    def __init__(self, host: str, address: str | None = None, kind: str | None = None):
        self.host, self.address, self.kind = host, address, kind
        super().__init__(f"{host} resolves to {address} ({kind}), not a public address; allow on-premises "
                         f"receivers with WEBHOOK_ALLOWED_HOSTS" if kind else f"{host} does not resolve")


def embedded_v4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo client, NAT64)."""
    if ip.version != 6:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` may not receive webhooks (``loopback``, ``private`` …), None for a public address."""
    for a in (*embedded_v4(ip), ip):
        if a.is_unspecified:
            return "unspecified"
        if a.is_loopback:
            return "loopback"
        if a.is_link_local:
            return "link-local"
        if a.is_multicast:
            return "multicast"
        if a.is_reserved:
            return "reserved"
        if a.is_private or not a.is_global:  # RFC 1918, ULA, shared 100.64/10, documentation ranges …
            return "private"
    return None


def _allow_list() -> tuple[list, list[str]]:
    """``WEBHOOK_ALLOWED_HOSTS``: comma-separated CIDRs/addresses and host names (``*.corp.lan`` patterns)."""
    raw = setting("WEBHOOK_ALLOWED_HOSTS", "") or ""
    nets, names = [], []
    for entry in (raw.split(",") if isinstance(raw, str) else raw):
        entry = str(entry).strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.append(entry)
    return nets, names


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    timeout = float(setting("WEBHOOK_DNS_TIMEOUT_SECONDS", 5))
    try:  # getaddrinfo has no timeout of its own
        infos = _dns_pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(timeout)
    except (OSError, UnicodeError, FutureTimeout) as exc:
        raise TargetRefused(host) from exc
    out: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in out:
            out.append(ip)
    if not out:
        raise TargetRefused(host)
    return out


def check_target(url: str) -> tuple[str, int, IPAddress]:
    """Resolve the URL's host and check every address; returns (host, port, address to connect to).

    Raises ``TargetRefused`` unless all addresses are public or allow-listed: a CIDR admits any address in it,
    a host name admits its own private and loopback addresses (not link-local, multicast …)."""
    u = urlsplit(url)
    host = (u.hostname or "").rstrip(".")
    port = u.port or (443 if u.scheme == "https" else 80)
    nets, names = _allow_list()
    name_allowed = any(fnmatch.fnmatchcase(host, n) for n in names)
    addresses = _resolve(host, port)
    for ip in addresses:
        kind = address_kind(ip)
        if kind is None or any(a in net for a in (ip, *embedded_v4(ip)) for net in nets if a.version == net.version):
            continue
        if name_allowed and kind in _NAME_MAY_BE:
            continue
        raise TargetRefused(host, str(ip), kind)
    return host, port, addresses[0]


def check_url(url: str) -> None:
    """Registration: a refused target is a 422 (zh + en) naming the host, address and kind."""
    try:
        check_target(url)
    except ValueError:  # urlsplit: a port beyond 65535
        raise ValidationFailed("The webhook URL has an invalid port.", zh="Webhook 地址的端口无效。",
                               code="webhook_target_refused", errors={"url": ["Port out of range 1–65535."]}) from None
    except TargetRefused as exc:
        if exc.kind is None:
            raise ValidationFailed(f"The webhook URL's host name does not resolve: {exc.host}.",
                                   zh=f"Webhook 地址的主机名无法解析：{exc.host}。", code="webhook_target_refused",
                                   errors={"url": [str(exc)]}) from None
        raise ValidationFailed(
            f"The webhook URL must point to a public address: {exc.host} resolves to {exc.address} ({exc.kind}). "
            "Allow on-premises receivers with WEBHOOK_ALLOWED_HOSTS.",
            zh=f"Webhook 地址必须指向公网地址：{exc.host} 解析为 {exc.address}（{_KIND_ZH[exc.kind]}）。"
               "内网接收方请加入 WEBHOOK_ALLOWED_HOSTS。",
            code="webhook_target_refused", errors={"url": [str(exc)]}) from None
