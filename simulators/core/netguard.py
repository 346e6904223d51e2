"""The network guard of in-process mode.

In-process, the ``responses`` library routes ``requests`` traffic for the vendors' real hostnames to
the fakes. Any other client (``urllib``, ``httpx``, ``http.client``, a raw socket) would resolve the
real hostname and reach the real vendor. While a guard is on, resolving a vendor hostname fails at
the socket level (``socket.getaddrinfo``, which every Python client calls before connecting) with
an error that says why and what to do instead; other hosts, loopback included, are untouched.

Guards nest (a counter): the hook is installed by the first ``on()`` and removed by the last ``off()``.
"""
from __future__ import annotations

import re
import socket
import threading
from typing import Any

# The vendors' real domains: any host in them is refused, not only the ones the fakes answer for.
VENDOR_DOMAINS = ("salesforce.com", "force.com", "salesforce-sites.com", "stripe.com", "stripe.network",
                  "avatax.com", "avalara.com", "avalara.net", "netsuite.com")
_PATTERN = re.compile(r"(^|\.)(%s)\.?$" % "|".join(re.escape(d) for d in VENDOR_DOMAINS), re.IGNORECASE)

_lock = threading.Lock()
_depth = 0
_original = socket.getaddrinfo


class VendorNetworkBlocked(ConnectionRefusedError):
    """A client outside ``requests`` tried to reach a real vendor host in in-process mode."""


def is_vendor_host(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and bool(_PATTERN.search(host))


def _guarded_getaddrinfo(host, *args, **kwargs):
    if is_vendor_host(host):
        raise VendorNetworkBlocked(
            f"o2c network guard: refused to resolve {host!r}, a real vendor host. In-process, only the "
            f"'requests' library is routed to the fakes; this client would have reached the real vendor. "
            f"Use a requests-based client, or run against the live fakes (o2c up / the o2c_live fixture) "
            f"with their loopback URLs.")
    return _original(host, *args, **kwargs)


def on() -> None:
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            socket.getaddrinfo = _guarded_getaddrinfo


def off() -> None:
    global _depth
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0:
            socket.getaddrinfo = _original


def active() -> bool:
    return socket.getaddrinfo is _guarded_getaddrinfo
