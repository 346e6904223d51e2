"""The pipeline's instructions to a transport, carried as internal response headers and never sent to
a client: drop the connection (a ``drop`` fault), or hold the answer back (a latency fault on a request
served on the live server's event loop). The one place that reads them: the live server
(loopserver.py) and the in-process transport (transport.py) both call ``directives``."""
from __future__ import annotations

from typing import Iterable

from .sim import DELAY_HEADER, DROP_HEADER


def directives(headers: Iterable[tuple[str, str]]) -> tuple[bool, float, list[tuple[str, str]]]:
    """(drop the connection?, seconds to hold the answer, the headers a client may see)."""
    drop, delay, rest = False, 0.0, []
    for k, v in headers:
        if k == DROP_HEADER:
            drop = True
        elif k == DELAY_HEADER:
            delay = float(v) / 1000
        else:
            rest.append((k, v))
    return drop, delay, rest
