"""features/faults.feature, bound to the step library (simulators.bdd)."""
from pytest_bdd import scenarios

scenarios("../features/faults.feature")
