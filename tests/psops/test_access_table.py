"""The README's access table is the role matrix: every URL, method and role, tested.

The table (between the ``access-table`` markers in README.md) is the one place that
says who may do what. This module reads it, checks that it names every URL of a
tenant host and nothing else, and asks each URL, with each method it lists, as each
role (and as an anonymous visitor), expecting what the table says:

- ``ok``: answered (a page, a redirect elsewhere, or a form's error for an empty POST)
- ``sign-in``: sent to the sign-in page
- ``403``: refused for the role
- ``404``: answered as if it did not exist
- ``own``: ``ok`` for what this person may see, ``404`` for the rest
- ``link``: ``ok`` with the emailed link's secret, ``404`` with a made-up one
- ``token``: the CRM API: ``401`` without an API token, whatever the session; ``ok`` with one

Every refused request (``sign-in``, ``403``, ``404``, ``401``) must change nothing in
the organization's schema. Each request runs in a savepoint that is rolled back, so
that what one role's accepted POST changes is not what the next role is asked about.
"""

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from health.kpis.registry import KPIS
from health.models import OneOnOne, Risk
from psops.accounts.models import EmailChange, Invitation, Notification, Role
from psops.accounts.services import _token_hash
from psops.outbox.models import OutboundEmail
from tests.capacity.factories import AllocationFactory, DemandFactory, TimeOffFactory
from tests.conftest import TenantClient, host_of
from tests.engagements.factories import (
    ClientFactory,
    EngagementFactory,
    EscalationFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
    StakeholderFactory,
)
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory
from tests.health.factories import make_risk

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
COLUMNS = ("anonymous", "sales", "consultant", "leader", "admin")
CODES = {"ok", "sign-in", "403", "404", "own", "link", "token"}
REFUSED = {"sign-in", "403", "404", "401"}
LINK_KWARGS = {"token", "uidb64"}


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    methods: tuple[str, ...]
    expected: dict[str, str]

    def __str__(self) -> str:
        return self.name


def read_table(text: str) -> list[Row]:
    """The rows between the markers; fails loudly on a malformed one."""
    match = re.search(r"<!-- access-table:start -->(.*?)<!-- access-table:end -->", text, re.S)
    assert match, "README.md has no access table between its markers"
    rows = []
    for line in match.group(1).splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if (
            len(cells) != 2 + len(COLUMNS)
            or cells[0] in ("URL name", "")
            or set(cells[0])
            <= {
                "-",
                ":",
            }
        ):
            continue
        name, methods, *codes = cells
        unknown = set(codes) - CODES
        assert not unknown, f"{name}: unknown codes {sorted(unknown)}"
        rows.append(
            Row(
                name=name,
                methods=tuple(method.strip() for method in methods.split(",")),
                expected=dict(zip(COLUMNS, codes, strict=True)),
            )
        )
    return rows


ROWS = read_table(README.read_text())


def tenant_url_patterns(resolver: URLResolver | None = None, namespace: str = "") -> Iterator:
    """(namespaced name, pattern) of every URL a tenant host serves."""
    resolver = resolver or get_resolver(settings.ROOT_URLCONF)
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from tenant_url_patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"a tenant URL without a name: {entry.pattern}"
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def test_the_table_names_every_tenant_url_once_and_nothing_else():
    served = [name for name, _ in tenant_url_patterns()]
    listed = [row.name for row in ROWS]

    assert len(listed) == len(set(listed)), "a URL name is listed twice"
    assert sorted(set(served) - set(listed)) == [], "URLs the README's access table omits"
    assert sorted(set(listed) - set(served)) == [], "names in the table that no URL has"


# --- The organization everyone is asked about --------------------------------------------


class World:
    """One person per role and, for every URL argument, something each may see and
    something they may not."""

    def __init__(self, tenant):
        self.tenant = tenant
        now = timezone.now()
        self.leader2 = UserFactory(role=Role.LEADER, full_name="Other Leader")
        self.people = {
            Role.LEADER: UserFactory(role=Role.LEADER, manager=self.leader2),
            Role.ADMIN: UserFactory(role=Role.ADMIN, manager=self.leader2),
        }
        leader = self.people[Role.LEADER]
        self.people[Role.SALES] = UserFactory(role=Role.SALES, manager=leader)
        self.people[Role.CONSULTANT] = UserFactory(role=Role.CONSULTANT, manager=leader)
        sales, consultant = self.people[Role.SALES], self.people[Role.CONSULTANT]
        self.sales2 = UserFactory(role=Role.SALES, manager=self.leader2)
        self.consultant2 = UserFactory(role=Role.CONSULTANT, manager=self.leader2)

        client = ClientFactory()
        self.stakeholder = StakeholderFactory(client=client)
        self.engagement = EngagementFactory(client=client, lead=consultant, sold_by=sales)
        self.engagement.team.add(consultant)
        self.engagement2 = EngagementFactory(lead=self.consultant2, sold_by=self.sales2)
        self.pain_point = PainPointFactory(engagement=self.engagement)
        self.pain_point2 = PainPointFactory(engagement=self.engagement2)
        self.recommendation = RecommendationFactory(engagement=self.engagement)
        self.followup = FollowUpFactory(engagement=self.engagement)
        self.escalation = EscalationFactory(engagement=self.engagement)

        self.packet = self._packet(filed_by=sales, reviewer=consultant)
        self.packet2 = self._packet(filed_by=self.sales2, reviewer=self.consultant2)
        # Capacity planning: someone's time off, an allocation, each packet's demand.
        self.time_off = TimeOffFactory(person=self.consultant2)
        self.allocation = AllocationFactory(engagement=self.engagement, person=consultant)
        self.demand = DemandFactory(packet=self.packet)
        self.demand2 = DemandFactory(packet=self.packet2)

        self.risk = make_risk(engagement=self.engagement)
        self.risk2 = make_risk(engagement=self.engagement2)
        # An overload risk is the manager's alone: no one else may see it.
        self.private_risk = make_risk(
            kind=Risk.Kind.OVERLOAD, private_to=self.leader2, subject_key="overload:private"
        )

        # Everyone's own 1:1 and notification, and one between two other people.
        self.one_on_ones = {
            Role.SALES: OneOnOne.objects.create(manager=leader, report=sales, held_on=now),
            Role.CONSULTANT: OneOnOne.objects.create(
                manager=leader, report=consultant, held_on=now
            ),
            Role.LEADER: OneOnOne.objects.create(manager=self.leader2, report=leader, held_on=now),
            Role.ADMIN: OneOnOne.objects.create(
                manager=self.leader2, report=self.people[Role.ADMIN], held_on=now
            ),
        }
        self.others_one_on_one = OneOnOne.objects.create(
            manager=self.leader2, report=self.consultant2, held_on=now
        )
        self.notifications = {
            role: Notification.objects.create(recipient=person, title=f"For {role}")
            for role, person in self.people.items()
        }
        self.others_notification = Notification.objects.create(
            recipient=self.consultant2, title="Not yours"
        )

        self.invitation = Invitation.objects.create(
            email="invited@acme.test",
            role=Role.CONSULTANT,
            token_hash=_token_hash("invitation-secret"),
            created_at=now,
            expires_at=now + timezone.timedelta(days=7),
        )
        self.email_change = EmailChange.objects.create(
            user=self.consultant2,
            old_email=self.consultant2.email,
            new_email="moved@acme.test",
            new_token_hash=_token_hash("email-change-secret"),
            old_token_hash=_token_hash("email-change-old-secret"),
            created_at=now,
            expires_at=now + timezone.timedelta(hours=24),
        )
        self.outbound = OutboundEmail.objects.create(
            to=["someone@acme.test"],
            subject="Due",
            body="Body",
            from_email="ps@acme.test",
            created_at=now,
            next_attempt_at=now,
        )
        from handoffs.services import api_token_create

        self.api_token, self.api_secret = api_token_create(
            name="CRM", by=self.people[Role.ADMIN], acts_as=sales
        )

    def _packet(self, *, filed_by, reviewer):
        packet = HandoffPacketFactory(
            submitted=True, ready=True, filed_by=filed_by, assigned_reviewer=reviewer
        )
        packet.sow.save("sow.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
        packet.sow_filename = "SOW.pdf"
        packet.save()
        return packet

    def kwargs(self, pattern, role: str) -> tuple[dict, dict]:
        """URL arguments for something ``role`` may see, and for something they may not."""
        yours, others = {}, {}
        for name in pattern.pattern.converters:
            yours[name], others[name] = self._argument(name, role)
        return yours, others

    def _argument(self, name: str, role: str):
        person_role = role if role in self.people else Role.CONSULTANT
        scoped = {
            "client_id": (self.engagement.client_id, self.engagement2.client_id),
            "stakeholder_id": (self.stakeholder.pk, self.stakeholder.pk),
            "engagement_id": (self.engagement.pk, self.engagement2.pk),
            "pain_point_id": (self.pain_point.pk, self.pain_point2.pk),
            "recommendation_id": (self.recommendation.pk, self.recommendation.pk),
            "followup_id": (self.followup.pk, self.followup.pk),
            "escalation_id": (self.escalation.pk, self.escalation.pk),
            "packet_id": (self.packet.pk, self.packet2.pk),
            "risk_id": (
                self.risk.pk,
                self.risk2.pk if role == Role.CONSULTANT else self.private_risk.pk,
            ),
            "one_on_one_id": (self.one_on_ones[person_role].pk, self.others_one_on_one.pk),
            "notification_id": (
                self.notifications[person_role].pk,
                self.others_notification.pk,
            ),
            "invitation_id": (self.invitation.pk, self.invitation.pk),
            "user_id": (self.consultant2.pk, self.consultant2.pk),
            "email_id": (self.outbound.pk, self.outbound.pk),
            "token_id": (self.api_token.pk, self.api_token.pk),
            "key": (KPIS[0].key, KPIS[0].key),
            "time_off_id": (self.time_off.pk, self.time_off.pk),
            "allocation_id": (self.allocation.pk, self.allocation.pk),
            "demand_id": (self.demand.pk, self.demand2.pk),
        }
        if name in scoped:
            return scoped[name]
        raise AssertionError(f"the access table test has no value for the URL argument {name}")

    def link(self, row: Row) -> tuple[dict, dict]:
        """The emailed link's arguments, and made-up ones."""
        if row.name == "accounts:invitation_accept":
            return {"token": "invitation-secret"}, {"token": "made-up"}
        if row.name == "accounts:email_change_confirm":
            return {"token": "email-change-secret"}, {"token": "made-up"}
        if row.name == "accounts:password_reset_confirm":
            from django.contrib.auth.tokens import default_token_generator

            person = self.consultant2
            uid = urlsafe_base64_encode(force_bytes(person.pk))
            return (
                {"uidb64": uid, "token": default_token_generator.make_token(person)},
                {"uidb64": uid, "token": "made-up-token"},
            )
        raise AssertionError(f"{row.name} has no emailed link in the access table test")

    def api_kwargs(self, pattern) -> dict:
        return {"packet_id": self.packet.pk} if pattern.pattern.converters else {}


# --- Asking ------------------------------------------------------------------------------


class _Undo(Exception):
    pass


@contextmanager
def undone() -> Iterator[None]:
    """Whatever happens inside is rolled back afterwards."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def fingerprint() -> dict[str, str]:
    """A digest of every table of the organization's schema but its sessions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "AND table_name NOT IN ('django_session') AND table_name NOT LIKE 'axes_%%' "
            "ORDER BY table_name"
        )
        tables = [name for (name,) in cursor.fetchall()]
        digests = " UNION ALL ".join(
            f"SELECT '{name}', (SELECT md5(coalesce(string_agg(md5(t::text), '' "
            f"ORDER BY md5(t::text)), '')) FROM \"{name}\" t)"
            for name in tables
        )
        cursor.execute(digests)
        return dict(cursor.fetchall())


def outcome(response) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    if status == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
        return "sign-in"
    if status in (401, 403, 404, 405):
        return str(status)
    return "ok"


@pytest.fixture
def world(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES}
    return World(tenant)


@pytest.fixture
def browser_as(world, client_for, tenant):
    def browser(column: str) -> TenantClient:
        if column == "anonymous":
            return TenantClient(host=host_of(tenant))
        return client_for(world.people[column])

    return browser


def ask(browser, method: str, path: str, **headers) -> tuple[str, bool]:
    """What the request answered, and whether it changed nothing."""
    with undone():
        before = fingerprint()
        response = getattr(browser, method.lower())(path, **headers)
        result = outcome(response)
        unchanged = fingerprint() == before
    return result, unchanged


def expected_answers(row: Row, column: str, world: World, pattern) -> list[tuple[str, str, str]]:
    """(path, expected outcome, what it is) for one cell of the table."""
    code = row.expected[column]
    if code == "token":
        return [(reverse(row.name, kwargs=world.api_kwargs(pattern)), "401", "without a token")]
    if code == "link":
        valid, made_up = world.link(row)
        return [
            (reverse(row.name, kwargs=valid), "ok", "the emailed link"),
            (reverse(row.name, kwargs=made_up), "404", "a made-up link"),
        ]
    yours, others = world.kwargs(pattern, column)
    if code == "own":
        assert pattern.pattern.converters, f"{row.name}: 'own' needs a URL argument"
        return [
            (reverse(row.name, kwargs=yours), "ok", "theirs"),
            (reverse(row.name, kwargs=others), "404", "someone else's"),
        ]
    return [(reverse(row.name, kwargs=yours), code, "")]


def test_the_table_lists_every_method_each_url_answers(world, browser_as):
    """A method the table leaves out is one the URL refuses with 405."""
    admin = browser_as(Role.ADMIN)
    for name, pattern in tenant_url_patterns():
        row = next(row for row in ROWS if row.name == name)
        assert row.methods and set(row.methods) <= {"GET", "POST"}, name
        if name.startswith("api:") or set(pattern.pattern.converters) & LINK_KWARGS:
            continue  # the API's paths are shared by two names; links are asked below
        path = reverse(name, kwargs=world.kwargs(pattern, Role.ADMIN)[0])
        for method in {"GET", "POST"} - set(row.methods):
            got, _ = ask(admin, method, path)
            assert got == "405", f"{name} answers {method} ({got}), the table says it does not"


CELLS = [(row, method) for row in ROWS for method in row.methods]


@pytest.mark.parametrize(("row", "method"), CELLS, ids=[f"{r.name}-{m}" for r, m in CELLS])
def test_each_role_gets_what_the_table_says(row, method, world, browser_as):
    pattern = dict(tenant_url_patterns())[row.name]
    wrong = []
    for column in COLUMNS:
        browser = browser_as(column)
        for path, expected, what in expected_answers(row, column, world, pattern):
            got, unchanged = ask(browser, method, path)
            if got != expected:
                wrong.append(f"{column} {method} {path} ({what}): {got}, table says {expected}")
            if got in REFUSED and not unchanged:
                wrong.append(f"{column} {method} {path} was refused ({got}) but changed data")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("row", [row for row in ROWS if "token" in row.expected.values()], ids=str)
def test_the_crm_api_answers_with_a_token(row, world, browser_as):
    pattern = dict(tenant_url_patterns())[row.name]
    path = reverse(row.name, kwargs=world.api_kwargs(pattern))
    for method in row.methods:
        got, _ = ask(
            browser_as("anonymous"),
            method,
            path,
            HTTP_AUTHORIZATION=f"Bearer {world.api_secret}",
            content_type="application/json",
        )
        assert got == "ok", f"{method} {path} with a token: {got}"
