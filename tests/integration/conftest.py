import pytest

from tests.databases import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The order engine's suites run on SQLite and on PostgreSQL."""
    return str(request.param)
