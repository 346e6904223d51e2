"""Live mode: one fake per process (state stays in one process), served by ``loopserver`` (asyncio
+ httptools, worker threads, fast-lane requests on the event loop), the only server: one place
turns the fault layer's "drop the connection" into a dropped connection. See docs/benchmarks.md.

Run: ``python -m simulators.core.server <fake> --port N [--certfile F --keyfile F]`` and the limits
(``--max-header-bytes``, ``--header-timeout``, ``--idle-timeout``, ``--max-body``; defaults in
``loopconn.ServerLimits``).

The control plane (``/_sim``, and the integration's ``/_integration``) needs the run's token, read
from the environment variable ``O2C_CONTROL_TOKEN`` (the harness sets it; never a command-line
argument, which other local users could read in the process list). Started without one, the
server makes its own random token and tells no one: its control plane is then closed.
"""
from __future__ import annotations

import argparse
import gc
import os
import secrets

from .clock import BackgroundRunner
from .loopconn import ServerLimits
from .sim import TOKEN_ENV


def serve(app, host: str, port: int, threads: int = 8, certfile: str | None = None,
          keyfile: str | None = None, limits: ServerLimits | None = None) -> None:
    from .loopserver import LoopServer

    sim = app.extensions["sim"]
    sim.sleep_latency = True
    sim.trim_on_reset = True   # a long-lived process gives memory back to the system on /_sim/reset
    BackgroundRunner(sim.clock).start()
    ssl_context = None
    if certfile:
        import ssl
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(certfile, keyfile)
    lane = app.extensions.get("lane")
    # Everything made so far (modules, the app, its schemas and tables, the SDKs' classes) lives as long
    # as the process: kept out of the collector's full passes, which otherwise walk it again and again.
    gc.collect()
    gc.freeze()
    try:
        LoopServer(app, host, port, threads=threads, ssl_context=ssl_context,
                   inline=lane.inline if lane is not None else None, limits=limits).run()
    finally:
        # Wake every worker still waiting out a latency fault, so the process exits at once
        # (the interpreter joins worker threads on exit).
        sim.stopping.set()


def main(argv=None) -> None:
    from ..registry import SERVICES, create

    d = ServerLimits()
    p = argparse.ArgumentParser(description="Serve one fake on loopback",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("fake", choices=sorted(SERVICES))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seed", default=None, help="explicit seed: ids AND secrets repeat (default: ids from 0, "
                                                 "secrets random)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--certfile")
    p.add_argument("--keyfile")
    p.add_argument("--validation", default="strict", choices=["strict", "lenient", "off"])
    p.add_argument("--config", help="JSON file of extra settings for the fake")
    p.add_argument("--max-header-bytes", type=int, default=d.max_header_bytes,
                   help="request line + headers; more is answered 431")
    p.add_argument("--header-timeout", type=float, default=d.header_timeout,
                   help="seconds to receive a request's head; slower connections are closed")
    p.add_argument("--idle-timeout", type=float, default=d.idle_timeout,
                   help="seconds a keep-alive connection may wait for its next request")
    p.add_argument("--max-body", type=int, default=d.max_body,
                   help="request body bytes; more is answered 413 (before any 100 Continue)")
    args = p.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the fakes listen on loopback only")
    import json
    extra = json.loads(open(args.config).read()) if args.config else {}
    token = os.environ.pop(TOKEN_ENV, None) or secrets.token_urlsafe(32)
    if args.fake == "integration":
        extra["control_token"] = token   # it calls the fakes' control planes (e.g. Salesforce setup)
    if args.fake == "stripe" and "public_base" not in extra:
        # links in Stripe's answers (hosted invoice page, PDFs, receipts) point at this server
        host = "[::1]" if args.host == "::1" else args.host
        extra["public_base"] = f"{'https' if args.certfile else 'http'}://{host}:{args.port}"
    app = create(args.fake, seed=args.seed, validation=args.validation, live=True, **extra)
    app.extensions["sim"].control_token = token
    limits = ServerLimits(max_header_bytes=args.max_header_bytes, header_timeout=args.header_timeout,
                    idle_timeout=args.idle_timeout, max_body=args.max_body, inline_body=d.inline_body)
    serve(app, args.host, args.port, threads=args.threads, certfile=args.certfile, keyfile=args.keyfile,
          limits=limits)


if __name__ == "__main__":
    main()
