"""Demo data: the organizations and people that `make run` shows.

``seed_demo`` is idempotent: it creates what is missing and leaves what exists.
Each app may add its own demo data with a ``demo.py`` module that defines
``seed_tenant(*, organization, users)``; they run in INSTALLED_APPS order, inside
the tenant's schema.
"""

from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from psops.accounts.models import Role, User
from psops.mail import emails_suppressed
from psops.tenancy.models import Organization
from psops.tenancy.services import organization_create

DEMO_PASSWORD = "psops-demo"  # noqa: S105 - documented demo credential
DEMO_ORGANIZATIONS = [
    ("acme", "Acme Corp", "acme.test"),
    ("globex", "Globex", "globex.test"),
]
# How long the demo's managers have managed their people: longer than any history shown.
DEMO_MANAGED_FOR = timedelta(days=365)
DEMO_PEOPLE = [
    ("leader", "Lena Leader", Role.LEADER),
    ("consultant", "Carlos Consultant", Role.CONSULTANT),
    ("sales", "Sam Sales", Role.SALES),
    ("admin", "Ada Admin", Role.ADMIN),
]


# The rest of the organization: (name, team). Emails are first names at the domain.
DEMO_TEAM = [
    ("Priya Patel", "Delivery"),
    ("Jonas Weber", "Delivery"),
    ("Mei Chen", "Delivery"),
    ("Tariq Hassan", "Delivery"),
    ("Sofia Rossi", "Delivery"),
    ("Liam Murphy", "Delivery"),
    ("Aisha Bello", "Delivery"),
    ("Mateo Silva", "Success"),
    ("Hana Sato", "Success"),
    ("Omar Haddad", "Success"),
    ("Elena Petrova", "Success"),
    ("Noah Kim", "Sales"),
    ("Grace Osei", "Sales"),
    ("Lucas Martin", "Sales"),
    ("Ines Duarte", "Leadership"),
]
DEMO_TEAMS = {
    "leader": "Leadership",
    "admin": "Leadership",
    "consultant": "Delivery",
    "sales": "Sales",
}


def demo_team_ensure(users: dict[str, User]) -> list[User]:
    """The four sign-in people and the rest of the organization (about twenty people),
    each in a team and managed for long enough that their history shows."""
    email_domain = users["leader"].email.split("@")[1]
    for key, team in DEMO_TEAMS.items():
        if users[key].team != team:
            users[key].team = team
            users[key].save(update_fields=["team"])
    people = list(users.values())
    # The first consultant of a team leads it: the rest report to them, not to a
    # leader, as in a real PS organization (and the team KPIs have people to count).
    team_leads: dict[str, User] = {}
    for index, (name, team) in enumerate(DEMO_TEAM, start=1):
        email = f"{name.split()[0].lower()}@{email_domain}"
        role = {"Sales": Role.SALES, "Leadership": Role.LEADER}.get(team, Role.CONSULTANT)
        if team == "Sales":
            manager = users["sales"] if index % 2 else users["leader"]
        else:
            manager = team_leads.get(team, users["leader"])
        person = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=name,
            team=team,
            role=role,
            manager=manager,
            manager_since=timezone.now() - DEMO_MANAGED_FOR,
        )
        if role == Role.CONSULTANT:
            team_leads.setdefault(team, person)
        people.append(person)
    return people


def demo_users_ensure(*, email_domain: str) -> dict[str, User]:
    users = {}
    for local_part, full_name, role in DEMO_PEOPLE:
        email = f"{local_part}@{email_domain}"
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=full_name, role=role
            )
        users[local_part] = user
    leader = users["leader"]
    for local_part in ("consultant", "sales"):
        if users[local_part].manager_id is None:
            users[local_part].manager = leader
            # Managed since long ago, so the manager reads the demo's weeks of check-ins.
            users[local_part].manager_since = timezone.now() - DEMO_MANAGED_FOR
            users[local_part].save(update_fields=["manager", "manager_since"])
    return users


def seed(*, stdout=None) -> list[Organization]:
    # The demo's story goes through the real services, which notify people: not here.
    with emails_suppressed():
        return _seed(stdout=stdout)


def _seed(*, stdout=None) -> list[Organization]:
    organizations = []
    for slug, name, email_domain in DEMO_ORGANIZATIONS:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            organization = organization_create(
                name=name,
                slug=slug,
                admin_email=f"admin@{email_domain}",
                admin_password=DEMO_PASSWORD,
                admin_full_name="Ada Admin",
            ).organization
            if stdout:
                stdout.write(f"Created demo organization {name}.")
        with schema_context(organization.schema_name), transaction.atomic():
            users = demo_users_ensure(email_domain=email_domain)
            for app_config in apps.get_app_configs():
                try:
                    module = import_module(f"{app_config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{app_config.name}.demo":
                        raise
                    continue
                module.seed_tenant(organization=organization, users=users)
        organizations.append(organization)
    return organizations
