"""The order-to-cash load test, for `locust -f load/locustfile.py` against fakes started with
`o2c up --detach --clock scaled --rate 60` (or run `o2c load`, which sets everything up).
The personas, timings and shapes live in the package: simulators/load/locustfile.py."""
import locust  # noqa: F401  -- first: gevent's monkey-patching must precede requests

from simulators.load.locustfile import *  # noqa: F401,F403
