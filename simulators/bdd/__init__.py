"""The reusable Gherkin step library (pytest-bdd) of the order-to-cash lifecycle.

Load it from your own ``conftest.py`` and bind your own feature files:

    # conftest.py
    pytest_plugins = ["simulators.bdd"]

    # test_features.py
    from pytest_bdd import scenarios
    scenarios("features/")

Every step of the catalogue (docs/steps.md, or ``o2c steps``) is then available to your feature
files; the ``world`` fixture starts the harness each scenario runs on (in-process by default;
``O2C_LIVE=1`` for live servers; ``O2C_EXTERNAL_INTEGRATION=1`` for your own integration against
fakes started by ``o2c up``), and every scenario ends with the four systems reconciled.
"""

# the modules that define fixtures, hooks and steps, one capability each; pytest loads them as plugins
CAPABILITIES = ("common", "system_of_record", "order_to_erp", "tax", "payment", "payment_sync", "collections",
                "revenue", "faults", "portal")
pytest_plugins = ["simulators.bdd.world"] + [f"simulators.bdd.{name}" for name in CAPABILITIES]
