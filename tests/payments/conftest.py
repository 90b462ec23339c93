import pytest

from payments.gateway import get_gateway


@pytest.fixture
def gateway():
    return get_gateway()
