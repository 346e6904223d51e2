# Two commands on a fresh machine with Python 3.11+ and make: `make demo`, `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Bytecode caches on for every target, whatever the calling shell says: with PYTHONDONTWRITEBYTECODE set,
# pytest rewrites every test module again on each run and every process (the test workers, the live fakes,
# the subprocess user projects) compiles the whole package from source each time it starts.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-slow test-all features features-live up bench load clean

$(STAMP): pyproject.toml
	$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# bytecode written once here, as pip writes it for the dependencies: the servers' processes read the
	# plain caches, pytest its assertion-rewritten ones (collection imports the tests and the harness)
	$(BIN)/python -m compileall -q -j 0 simulators
	-$(BIN)/python -m pytest --collect-only -q -p no:xdist -p no:cacheprovider >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/o2c demo

# the fast tier (< 30 s on two cores): every test not marked slow, on two workers; worksteal keeps both
# busy to the end while one of them runs the long load smoke test (tests/conftest.py starts it first)
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist worksteal

# only the slow tier (CI runs it after `make test`)
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -n 2 --dist worksteal

# everything: the fast tier plus the full-size soaks, the subprocess user projects and the browser tests
test-all: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal

features: $(STAMP)
	$(BIN)/python -m pytest steps

features-live: $(STAMP)
	O2C_LIVE=1 $(BIN)/python -m pytest steps

up: $(STAMP)
	$(BIN)/o2c up

# A bounded headless load test (webhook, then polling; about 2.5 minutes; stops by itself): reports/load/
load: $(STAMP)
	$(BIN)/o2c load --sync both --users 12 --spawn-rate 4 --run-time 50s --out reports/load

# the fakes' live throughput, one after another (bounded: each case stops after its request count or time cap);
# the Stripe-versus-localstripe comparisons need localstripe (and wrk): see docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.avatax_bench
	$(BIN)/python -m benchmarks.salesforce_bench
	$(BIN)/python -m benchmarks.erp_bench
	$(BIN)/python -m benchmarks.stripe_bench

clean:
	rm -rf $(VENV) .o2c build *.egg-info
