"""Our own feature files, bound to the o2c-harness step library (no step definitions of our own)."""
from pytest_bdd import scenarios

scenarios("features/")
