"""Test tenants, users and clients.

Two organizations (acme and globex) are provisioned once per test database, the
way production provisions them (cloned from the template), and committed. Each
test then runs inside a transaction, in the acme schema unless it says
otherwise, and everything it writes is rolled back.
"""

import time

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import get_public_schema_name

from config.celery import app as celery_app
from psops.accounts.models import Role
from psops.accounts.sessions import LAST_SEEN_KEY
from psops.tenancy.models import Organization
from psops.tenancy.services import organization_create
from tests.factories import TEST_PASSWORD, UserFactory

TEST_ORGANIZATIONS = [("acme", "Acme Corp"), ("globex", "Globex")]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        for slug, name in TEST_ORGANIZATIONS:
            if not Organization.objects.filter(slug=slug).exists():
                organization_create(
                    name=name,
                    slug=slug,
                    admin_email=f"owner@{slug}.test",
                    admin_password=TEST_PASSWORD,
                    admin_full_name="Owner",
                )
        connection.set_schema_to_public()


@pytest.fixture(autouse=True, scope="session")
def celery_eager():
    """Tasks run inline in tests, except where a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _back_to_public():
    yield
    connection.set_schema_to_public()


class TenantClient(Client):
    """A test client that talks to one host and leaves the test's schema as it found it.

    A request through the tenant middleware switches the shared connection to the
    host's schema; restoring it keeps the test's own queries where they were.
    """

    def __init__(self, *, host: str, **kwargs):
        super().__init__(HTTP_HOST=host, **kwargs)
        self.host = host

    def request(self, **request):
        tenant = getattr(connection, "tenant", None)
        try:
            return super().request(**request)
        finally:
            if tenant is not None and tenant.schema_name != get_public_schema_name():
                connection.set_tenant(tenant)
            else:
                connection.set_schema_to_public()


def _organization(slug: str) -> Organization:
    return Organization.objects.select_related().get(slug=slug)


@pytest.fixture
def tenant(db):
    connection.set_schema_to_public()
    organization = _organization("acme")
    connection.set_tenant(organization)
    yield organization
    connection.set_schema_to_public()


@pytest.fixture
def other_tenant(tenant):
    connection.set_schema_to_public()
    organization = _organization("globex")
    connection.set_tenant(tenant)
    return organization


def host_of(organization: Organization) -> str:
    return f"{organization.slug}.localhost"


@pytest.fixture
def anonymous_client(tenant):
    return TenantClient(host=host_of(tenant))


@pytest.fixture
def make_user(tenant):
    def make(role: str = Role.CONSULTANT, **fields):
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def leader(make_user):
    return make_user(Role.LEADER, email="leader@acme.test")


@pytest.fixture
def consultant(make_user):
    return make_user(Role.CONSULTANT, email="consultant@acme.test")


@pytest.fixture
def sales(make_user):
    return make_user(Role.SALES, email="sales@acme.test")


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, email="admin@acme.test")


@pytest.fixture
def client_for(tenant):
    """A client signed in as ``user`` on the tenant's host."""

    def make(user, *, organization=None) -> TenantClient:
        organization = organization or tenant
        client = TenantClient(host=host_of(organization))
        # The session row is written to the schema of the host it belongs to.
        connection.set_tenant(organization)
        try:
            client.force_login(user)
            # As a real sign-in does (psops.accounts.sessions.sign_in_complete): the idle
            # clock starts now, so the first request does not have to write the session.
            session = client.session
            session[LAST_SEEN_KEY] = int(time.time())
            session.save()
        finally:
            connection.set_tenant(tenant)
        return client

    return make
