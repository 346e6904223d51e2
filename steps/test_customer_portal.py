"""features/customer_portal.feature, bound to the step library (simulators.bdd)."""
from pytest_bdd import scenarios

scenarios("../features/customer_portal.feature")
