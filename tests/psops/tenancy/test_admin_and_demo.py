import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django_tenants.utils import schema_context

from psops import demo
from psops.accounts.models import User
from psops.tenancy.models import Domain, Organization
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    connection.set_schema_to_public()
    user = User.objects.create_superuser(email="ops@psops.test", password="operator pass 123")
    client = TenantClient(host="localhost")
    client.force_login(user)
    return client


def test_an_operator_provisions_an_organization_in_the_public_admin(operator):
    response = operator.post(
        "/admin/tenancy/organization/add/",
        {"name": "Vandelay Industries", "slug": "vandelay", "admin_email": "art@vandelay.test"},
        follow=True,
    )

    assert response.status_code == 200
    assert "is ready at http://vandelay.localhost:8000/" in response.content.decode()
    organization = Organization.objects.get(slug="vandelay")
    assert Domain.objects.get(tenant=organization).domain == "vandelay.localhost"
    with schema_context("vandelay"):
        assert User.objects.get().email == "art@vandelay.test"


def test_the_public_admin_shows_field_errors_and_creates_nothing(operator):
    response = operator.post(
        "/admin/tenancy/organization/add/",
        {"name": "Acme again", "slug": "acme", "admin_email": "nope"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "slug &quot;acme&quot; already exists" in content or 'slug "acme" already exists' in content
    )
    assert "Enter a valid email address" in content
    assert Organization.objects.filter(slug="acme").count() == 1


# Apps whose tables live in each organization's schema: none has a page in the admin,
# which is the operators' alone (on the public host).
TENANT_ONLY_APPS = ("accounts", "outbox", "engagements", "handoffs", "health")


def test_the_admin_registers_no_model_of_an_organizations_own_apps():
    assert [
        model._meta.label
        for model in admin.site._registry
        if model._meta.app_label in TENANT_ONLY_APPS
    ] == []


def test_the_public_admin_lists_only_the_operators_models(operator):
    index = operator.get("/admin/")

    assert index.status_code == 200
    linked = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index.content.decode()))
    assert "/admin/tenancy/organization/" in linked
    for app in TENANT_ONLY_APPS:
        assert not any(url.startswith(f"/admin/{app}/") for url in linked)
        assert operator.get(f"/admin/{app}/").status_code == 404


def test_the_public_admin_deletes_no_organization(operator):
    organization = Organization.objects.get(slug="acme")

    page = operator.get(f"/admin/tenancy/organization/{organization.pk}/delete/")
    posted = operator.post(
        "/admin/tenancy/organization/",
        {"action": "delete_selected", "_selected_action": [organization.pk], "post": "yes"},
    )

    assert page.status_code == 403
    assert posted.status_code in (200, 302)
    assert Organization.objects.filter(pk=organization.pk).exists()


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/accounts/user/"])
@pytest.mark.parametrize("who", ["anonymous", "admin", "leader"])
def test_no_django_admin_on_an_organizations_host(
    anonymous_client, client_for, admin_user, leader, path, who
):
    browser = {
        "anonymous": lambda: anonymous_client,
        "admin": lambda: client_for(admin_user),
        "leader": lambda: client_for(leader),
    }[who]()

    assert browser.get(path).status_code == 404


def test_demo_seed_is_idempotent_and_its_people_can_sign_in():
    demo.seed()
    with schema_context("acme"):
        acme_people = User.objects.count()
    demo.seed()

    with schema_context("acme"):
        assert User.objects.count() == acme_people
        for local_part, _, role in demo.DEMO_PEOPLE:
            user = User.objects.get(email=f"{local_part}@acme.test")
            assert user.role == role
            assert user.check_password(demo.DEMO_PASSWORD)
    with schema_context("globex"):
        assert User.objects.filter(email="leader@globex.test").exists()
        assert not User.objects.filter(email__endswith="@acme.test").exists()


@pytest.mark.skipif(
    not settings.USES_EMBEDDED_SERVERS, reason="only meaningful on the embedded servers"
)
def test_another_process_reaches_the_same_embedded_servers():
    """What a second terminal gets while `make run` is up: the very same servers."""
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "from devtools import local_services as s; "
            "print(s.postgres_url()); print(s.redis_url())",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()

    assert output[0].endswith(f"?host={connection.settings_dict['HOST']}")
    assert output[1] == settings.CELERY_BROKER_URL


def test_seeding_the_demo_sends_no_email(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed()

    assert mailoutbox == []
