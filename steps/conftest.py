"""The project's own Gherkin suite uses the step library exactly as a user's suite would."""
pytest_plugins = ["simulators.bdd"]
