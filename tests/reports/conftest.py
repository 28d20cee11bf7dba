import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; the Chinese catalogue is checked by platform_checks."""
    with translation.override("en"):
        yield
