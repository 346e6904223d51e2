"""pytest plugin of o2c-harness (loaded on install through the ``pytest11`` entry point).

Fixtures:

- ``o2c``: an in-process harness (every fake in this process, one frozen simulated clock, the
  vendors' real hostnames routed to the fakes for ``requests``, a network guard for every other
  client). The apps are built once per session and reset before each test: every fake as it was
  built (clock back to its start, frozen; no faults; vendor limits off; the configured validation
  mode and seed; empty stores and outboxes; apps added with ``add_app`` gone). The reference integration is off unless asked for, so your own
  integration code is what runs against the fakes.
- ``o2c_live``: the fakes as live servers on free loopback ports (Salesforce over HTTPS with a
  local CA at ``o2c_live.ca_path``), started once per session, reset before each test, stopped at
  session end.

Settings, in ``pytest.ini`` / ``pyproject.toml`` ``[tool.pytest.ini_options]``, or per test with
``@pytest.mark.o2c(...)`` (a test with other settings gets its own harness from a pool):

    o2c_fakes = salesforce stripe          # default: all four
    o2c_seed = 7                           # also repeat secrets (ids are deterministic anyway)
    o2c_validation = strict                # strict | lenient | off
    o2c_integration = off                  # off | webhook | polling: the reference integration

    @pytest.mark.o2c(fakes=["stripe"], validation="lenient", integration={"payment_sync": "polling"})
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from .core.clock import DEFAULT_START
from .registry import FAKES, free_port

if TYPE_CHECKING:   # imported where a fixture is used: every pytest run in an environment that has the
    from .harness import InProcessHarness, LiveHarness   # harness loads this plugin, most use no fake

INI = {
    "o2c_fakes": ("fakes the o2c fixtures start (space-separated; default: all of "
                  f"{' '.join(FAKES)})", ""),
    "o2c_seed": ("seed of the fakes' ids and secrets (default: none; ids are deterministic anyway, "
                 "secrets random per run)", ""),
    "o2c_validation": ("request schema validation: strict (default), lenient or off", "strict"),
    "o2c_integration": ("the reference integration: off (default), webhook or polling", "off"),
}
VALIDATION = ("strict", "lenient", "off")


def pytest_addoption(parser) -> None:
    for name, (help_text, default) in INI.items():
        parser.addini(name, help_text, default=default)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "o2c(fakes=None, seed=None, validation=None, integration=None): settings of the o2c and "
                   "o2c_live fixtures for this test (integration: a dict of the reference integration's settings, "
                   "or 'webhook' / 'polling')")


def _settings(request) -> dict[str, Any]:
    """The test's settings: the marker over the ini options over the defaults, checked."""
    cfg = request.config
    fakes = cfg.getini("o2c_fakes").split() or list(FAKES)
    settings: dict[str, Any] = {"fakes": fakes, "seed": cfg.getini("o2c_seed"),
                                "validation": cfg.getini("o2c_validation"),
                                "integration": cfg.getini("o2c_integration")}
    marker = request.node.get_closest_marker("o2c")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.o2c takes keyword arguments only")
        unknown = set(marker.kwargs) - set(settings)
        if unknown:
            raise pytest.UsageError(f"@pytest.mark.o2c: unknown settings {sorted(unknown)}; "
                                    f"known: {sorted(settings)}")
        settings.update({k: v for k, v in marker.kwargs.items() if v is not None})
    bad = [f for f in settings["fakes"] if f not in FAKES]
    if bad:
        raise pytest.UsageError(f"o2c: unknown fakes {bad}; known: {list(FAKES)}")
    if settings["validation"] not in VALIDATION:
        raise pytest.UsageError(f"o2c: validation must be one of {VALIDATION}, not {settings['validation']!r}")
    integ = settings["integration"]
    if integ in ("off", "", None, False):
        settings["integration"] = None
    elif integ in ("webhook", "polling"):
        settings["integration"] = {"payment_sync": integ}
    elif not isinstance(integ, dict):
        raise pytest.UsageError(f"o2c: integration must be off, webhook, polling or a dict of settings, "
                                f"not {integ!r}")
    if settings["integration"] is not None and set(FAKES) - set(settings["fakes"]):
        raise pytest.UsageError("o2c: the reference integration needs all four fakes")
    seed = settings["seed"]
    if seed in ("", None):
        settings["seed"] = None
    elif isinstance(seed, str) and seed.lstrip("-").isdigit():
        settings["seed"] = int(seed)
    return settings


def _key(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


def _install_integration(h) -> None:
    """Deploy the reference integration (webhook endpoint or polling, outbound message)."""
    import requests

    verify = str(h.ca_path) if getattr(h, "ca_path", None) else True
    token = getattr(h, "control_token", None)
    resp = requests.post(h.url("integration") + "/_integration/install", verify=verify, timeout=60,
                         headers={"X-Sim-Token": token} if token else {})
    if resp.status_code >= 400:
        raise RuntimeError(f"installing the reference integration failed: {resp.status_code} {resp.text[:300]}")


@pytest.fixture(scope="session")
def _o2c_pool() -> Iterator[dict[str, InProcessHarness]]:
    pool: dict[str, InProcessHarness] = {}
    yield pool
    pool.clear()


@pytest.fixture
def o2c(request, _o2c_pool) -> Iterator[InProcessHarness]:
    """An in-process harness, reset, its clock frozen at its start."""
    settings = _settings(request)
    key = _key(settings)
    h = _o2c_pool.get(key)
    if h is None:
        from .harness import InProcessHarness

        h = _o2c_pool[key] = InProcessHarness(settings["fakes"], seed=settings["seed"],
                                              validation=settings["validation"],
                                              integration=settings["integration"])
        h.start_at = h.clock.now()
    h.start()
    try:
        h.reset()   # every fake as built: clock at its start, frozen; limits off; construction seed
        if settings["integration"] is not None:
            _install_integration(h)
        yield h
    finally:
        h.stop()


@pytest.fixture(scope="session")
def _o2c_live_pool(tmp_path_factory) -> Iterator[dict[str, LiveHarness]]:
    pool: dict[str, LiveHarness] = {}
    yield pool
    for h in pool.values():
        h.stop()


@pytest.fixture
def o2c_live(request, _o2c_live_pool, tmp_path_factory) -> LiveHarness:
    """Live fakes on free loopback ports (started once per settings, per session), reset."""
    settings = _settings(request)
    key = _key(settings)
    h = _o2c_live_pool.get(key)
    if h is None:
        from .harness import LiveHarness

        names = list(settings["fakes"])
        ports = {n: free_port() for n in names + (["integration"] if settings["integration"] else [])}
        h = LiveHarness(names, seed=settings["seed"], ports=ports, validation=settings["validation"],
                        run_dir=tmp_path_factory.mktemp("o2c-live"), integration=settings["integration"])
        h.start()
        _o2c_live_pool[key] = h
    h.reset()
    h.sync_clocks()
    if settings["integration"] is not None:
        _install_integration(h)
    return h


def started_at(h) -> datetime:
    """The instant the ``o2c`` fixture's clock is set back to before each test."""
    return getattr(h, "start_at", DEFAULT_START)
