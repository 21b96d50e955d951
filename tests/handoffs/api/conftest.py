"""A CRM integration's token on acme and a test client that sends it, CSRF checks on."""

import pytest

from handoffs import services
from tests.conftest import TenantClient, host_of


@pytest.fixture
def token_and_raw(admin_user, sales):
    return services.api_token_create(name="Salesforce sync", by=admin_user, acts_as=sales)


@pytest.fixture
def api(tenant, token_and_raw):
    # CSRF checks on, as in a browser: the API must not depend on a cookie or token.
    return TenantClient(
        host=host_of(tenant),
        enforce_csrf_checks=True,
        HTTP_AUTHORIZATION=f"Bearer {token_and_raw[1]}",
    )
