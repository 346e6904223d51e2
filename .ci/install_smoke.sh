#!/usr/bin/env bash
# Install smoke test: build the wheel, install it in a fresh virtualenv outside the checkout, then,
# as a user would there: run a test suite of their own that uses the pytest plugin's fixtures
# (tests/install/user_project, copied out), and `o2c demo` (live fakes, one lifecycle, reconcile).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/o2c-install-smoke.XXXXXX)"
trap 'rm -rf "$work"' EXIT
PY="${PY:-python3}"

"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root"
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/*.whl pytest
cp -r "$root/tests/install/user_project" "$work/project"
cd "$work/project"
"$work/venv/bin/python" -c 'import simulators, sys; assert "site-packages" in simulators.__file__, simulators.__file__'
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider
"$work/venv/bin/o2c" demo
echo "install smoke test OK"
