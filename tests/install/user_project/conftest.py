# the step library of o2c-harness: every step of its catalogue, for our own feature files
pytest_plugins = ["simulators.bdd"]
