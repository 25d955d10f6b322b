"""pytest configuration shared by the whole repository.

The suite runs through pytest-odoo against a real database (``--odoo-database``, see
``scripts/miko test``). Without a database only the pure business-rule tests
(``tests/test_rules_*.py``, which need no ORM) can run; the Odoo test cases then fail loudly
instead of being skipped.
"""

import pathlib
import threading

import pytest

import odoo.addons

REPO_ROOT = str(pathlib.Path(__file__).resolve().parent)


def pytest_configure(config):
    # The addon lives at the repository root: make it importable as odoo.addons.<name>
    # even before an Odoo configuration sets the addons path.
    if REPO_ROOT not in odoo.addons.__path__:
        odoo.addons.__path__.append(REPO_ROOT)
    if not config.getoption("--odoo-database"):
        import pytest_odoo

        pytest_odoo.monkey_patch_resolve_pkg_root_and_module_name()


@pytest.fixture(scope="session", autouse=True)
def load_registry(request):
    """Replace pytest-odoo's fixture of the same name so database-less runs can collect."""
    if not request.config.getoption("--odoo-database"):
        yield
        return
    import pytest_odoo

    threading.current_thread().testing = True
    with pytest_odoo._worker_db_name() as db_name:
        odoo.modules.registry.Registry(db_name)
        yield


# Hypothesis: no per-example deadline and no "too slow" health check on a loaded 2-core machine;
# CI runs derandomized so a red build is reproducible.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "miko",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(__import__("os").environ.get("CI")),
)
settings.load_profile("miko")
