"""features/system_of_record.feature, bound to the step library (simulators.bdd)."""
from pytest_bdd import scenarios

scenarios("../features/system_of_record.feature")
