"""Live mode: one fake per process (state stays in one process), served by ``loopserver`` (asyncio
+ httptools, worker threads, fast-lane requests on the event loop). Chosen by measurement: see
docs/benchmarks.md; gunicorn (gthread), waitress, cheroot and werkzeug remain selectable.

Run: ``python -m simulators.core.server <fake> --port N [--certfile F --keyfile F]``.

The control plane (``/_sim``, and the integration's ``/_integration``) needs the run's token, read
from the environment variable ``O2C_CONTROL_TOKEN`` (the harness sets it; never a command-line
argument, which other local users could read in the process list). Started without one, the
server makes its own random token and tells no one: its control plane is then closed.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket

from .clock import BackgroundRunner
from .sim import DROP_HEADER, TOKEN_ENV


class DropAware:
    """WSGI wrapper: when the fault layer asks for a dropped connection, shut the socket."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured = {}

        def _start(status, headers, exc_info=None):
            captured["drop"] = any(k == DROP_HEADER for k, _ in headers)
            if captured["drop"]:
                return lambda data: None
            return start_response(status, headers, exc_info)

        result = self.app(environ, _start)
        if captured.get("drop"):
            sock = environ.get("gunicorn.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("fault: connection dropped")
        return result


def serve(app, host: str, port: int, threads: int = 8, certfile: str | None = None,
          keyfile: str | None = None, engine: str = "loop") -> None:
    sim = app.extensions["sim"]
    sim.sleep_latency = True
    BackgroundRunner(sim.clock).start()
    wsgi = DropAware(app)
    try:
        _serve(app, wsgi, host, port, threads, certfile, keyfile, engine)
    finally:
        # Wake every worker still waiting out a latency fault, so the process exits at once
        # (the interpreter joins worker threads on exit).
        sim.stopping.set()


def _serve(app, wsgi, host, port, threads, certfile, keyfile, engine) -> None:
    if engine == "loop":
        from .loopserver import LoopServer
        ssl_context = None
        if certfile:
            import ssl
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(certfile, keyfile)
        lane = app.extensions.get("lane")
        LoopServer(app, host, port, threads=threads, ssl_context=ssl_context,
                   inline=lane.inline if lane is not None else None).run()
    elif engine == "gunicorn":
        from gunicorn.app.base import BaseApplication

        class _App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", 1)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", threads)
                self.cfg.set("backlog", 2048)
                self.cfg.set("keepalive", 5)
                self.cfg.set("timeout", 120)
                self.cfg.set("loglevel", "warning")
                self.cfg.set("accesslog", None)
                if certfile:
                    self.cfg.set("certfile", certfile)
                    self.cfg.set("keyfile", keyfile)

            def load(self):
                return wsgi

        _App().run()
    elif engine == "waitress":
        import waitress
        waitress.serve(wsgi, host=host, port=port, threads=threads, _quiet=True)
    elif engine == "cheroot":
        from cheroot import wsgi as cw
        server = cw.Server((host, port), wsgi, numthreads=threads)
        if certfile:
            from cheroot.ssl.builtin import BuiltinSSLAdapter
            server.ssl_adapter = BuiltinSSLAdapter(certfile, keyfile)
        server.start()
    elif engine == "werkzeug":
        app.run(host=host, port=port, threaded=True)
    else:
        raise SystemExit(f"unknown engine {engine}")


def main(argv=None) -> None:
    from ..registry import SERVICES, create

    p = argparse.ArgumentParser(description="Serve one fake on loopback")
    p.add_argument("fake", choices=sorted(SERVICES))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seed", default=None, help="explicit seed: ids AND secrets repeat (default: ids from 0, "
                                                 "secrets random)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--certfile")
    p.add_argument("--keyfile")
    p.add_argument("--engine", default="loop", choices=["loop", "gunicorn", "waitress", "cheroot", "werkzeug"])
    p.add_argument("--validation", default="strict", choices=["strict", "lenient", "off"])
    p.add_argument("--config", help="JSON file of extra settings for the fake")
    args = p.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the fakes listen on loopback only")
    import json
    extra = json.loads(open(args.config).read()) if args.config else {}
    token = os.environ.pop(TOKEN_ENV, None) or secrets.token_urlsafe(32)
    if args.fake == "integration":
        extra["control_token"] = token   # it calls the fakes' control planes (e.g. Salesforce setup)
    app = create(args.fake, seed=args.seed, validation=args.validation, live=True, **extra)
    app.extensions["sim"].control_token = token
    serve(app, args.host, args.port, threads=args.threads, certfile=args.certfile, keyfile=args.keyfile,
          engine=args.engine)


if __name__ == "__main__":
    main()
