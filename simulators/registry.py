"""The fakes the harness knows: import path, default live port, real hostnames, TLS."""
from __future__ import annotations

import importlib
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class FakeSpec:
    name: str
    module: str
    port: int
    hosts: tuple[str, ...]
    tls: bool = False

    @property
    def inprocess_url(self) -> str:
        host = self.hosts[0].replace("*", "o2c")
        return f"https://{host}"


INTEGRATION_PORT = 8705

FAKES: dict[str, FakeSpec] = {
    "salesforce": FakeSpec("salesforce", "simulators.salesforce.app", 8701,
                           ("o2c.my.salesforce.com", "*.my.salesforce.com", "login.salesforce.com",
                            "test.salesforce.com"), tls=True),
    "stripe": FakeSpec("stripe", "simulators.stripe.app", 8702, ("api.stripe.com", "files.stripe.com")),
    "avalara": FakeSpec("avalara", "simulators.avalara.app", 8703,
                        ("sandbox-rest.avatax.com", "rest.avatax.com")),
    "erp": FakeSpec("erp", "simulators.erp.app", 8704,
                    ("o2c-sb1.suitetalk.api.netsuite.com", "*.suitetalk.api.netsuite.com")),
}


# Not a fake, but served the same way (same skeleton, same /_sim control plane).
INTEGRATION = FakeSpec("integration", "simulators.integration.app", INTEGRATION_PORT, ("integration.o2c.test",))
SERVICES: dict[str, FakeSpec] = {**FAKES, "integration": INTEGRATION}


def create(name: str, **kw):
    """Build a fake's WSGI app (``VendorApp``, or a Flask app for fakes with HTML pages): ``create_app(clock=None, seed=0, validation='strict', live=False, ...)``."""
    module = importlib.import_module(SERVICES[name].module)
    return module.create_app(**kw)


def available() -> list[str]:
    """Fakes whose package is present (lets the harness run while a fake is being built)."""
    names = []
    for name, spec in FAKES.items():
        try:
            importlib.import_module(spec.module)
        except ModuleNotFoundError as exc:
            if exc.name and spec.module.startswith(exc.name):
                continue
            raise
        names.append(name)
    return names


def free_port() -> int:
    """A loopback port nothing listens on now (live servers started on demand, tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
