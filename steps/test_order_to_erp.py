"""features/order_to_erp.feature, bound to the step library (simulators.bdd)."""
from pytest_bdd import scenarios

scenarios("../features/order_to_erp.feature")
