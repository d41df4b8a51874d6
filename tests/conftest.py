"""Shared test configuration: hypothesis profiles (CI runs the same examples on every run)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The moto server fixtures (SWF and S3) are product: tests use them like users do. Installing
# flowwire registers them through its pytest11 entry point (tests/cli checks that a project
# needs no line for it); this line only keeps a checkout whose install predates the entry point
# working, and loads nothing twice (the entry point is named like the module).
pytest_plugins = ["flowwire.testing.pytest_plugin"]

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
