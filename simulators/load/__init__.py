"""The load suite (Locust): personas, business timings, the ``o2c load`` runner and its report.

Everything ``o2c load`` needs at run time lives here so it ships in the wheel; the top-level
``load/`` folder holds the user-editable SLO file and a thin locustfile for ``locust -f load/``.
"""
