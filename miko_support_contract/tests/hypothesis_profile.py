"""The hypothesis profile of the suite, for Odoo's own test runner too (it reads no
``conftest.py``): no per-example deadline and no "too slow" health check on a loaded machine;
derandomized under CI so a red build is reproducible."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "miko",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("miko")
