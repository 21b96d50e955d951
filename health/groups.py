"""Who counts in a group, week by week: counting people, not accounts.

A minimum of N answers protects nobody if an insider can make N - 1 of them: a tenant
admin can invite accounts of their own, move them into a colleague's team, lower the
minimum and read the colleague's answer as the group's figure minus their own. So:

- **Newcomers do not count.** An account counts toward a group (and may answer the
  pulse) from the third ISO week after the one it joined in: two full weeks as a
  member first (``SETTLING_WEEKS``). Until then its pulse answers are not taken and its
  check-ins are held out of every aggregate. Nothing about an answer is stored to do
  this: the rule is read from ``User.date_joined`` before an answer exists.
- **A group's members are fixed before its week begins.** A team changed in Settings >
  Users is recorded in ``TeamMembership`` from the week after the change was seen, and
  the people affected (the person, the team left, the team joined) are told at once.
  A pulse answer counts for the team its author belongs to for that week; someone
  without a membership for the week (never seen yet) is a newcomer.
- **The minimum changes from a later week.** The value asked for in Settings >
  Organization is recorded in ``AnonymityMinimum`` from the week after it was seen and
  announced to everyone; a week is always judged by the minimum in force for it
  (``health.anonymity.pulse_minimum``), never by a value changed while it runs.

``anonymity_changes_sync`` sees the changes: the hourly pulse job and every pulse answer
run it. A change is therefore seen at the latest an hour after it is made, and it
takes effect from the week after it was seen: later than asked, never earlier.
"""

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from health.anonymity import MINIMUM_FLOOR, minimum_default
from health.models import AnonymityMinimum, TeamMembership
from health.weeks import IsoWeek
from psops.accounts.models import OrganizationSettings, User
from psops.notifications import Notice, notify_many

# Full ISO weeks an account exists before it counts toward any group.
SETTLING_WEEKS = 2
# The week the history starts in: what stood before it was recorded stands since then.
SINCE_ALWAYS = IsoWeek(2000, 1)


def memberships_since_always(people: "QuerySet[User]") -> None:
    """Record ``people`` in their current teams since always (demo and test data only)."""
    TeamMembership.objects.bulk_create(
        TeamMembership(
            user=person,
            team=person.team,
            from_year=SINCE_ALWAYS.year,
            from_week=SINCE_ALWAYS.week,
            recorded_at=timezone.now(),
        )
        for person in people
    )


def _from_week(membership: TeamMembership | AnonymityMinimum) -> IsoWeek:
    return IsoWeek(membership.from_year, membership.from_week)


def _from_at_most(week: IsoWeek) -> Q:
    return Q(from_year__lt=week.year) | Q(from_year=week.year, from_week__lte=week.week)


def counted_from(*, user: User) -> IsoWeek:
    """The first week ``user``'s account counts toward a group (see ``SETTLING_WEEKS``)."""
    joined = IsoWeek.of(timezone.localtime(user.date_joined).date())
    return joined.shifted(SETTLING_WEEKS + 1)


def team_for_week(*, user: User, week: IsoWeek) -> str | None:
    """The team ``user`` counts in for ``week``, or None while they do not count yet."""
    if week < counted_from(user=user):
        return None
    membership = (
        TeamMembership.objects.filter(_from_at_most(week), user=user)
        .order_by("-from_year", "-from_week")
        .first()
    )
    return None if membership is None else membership.team


def first_week_counted(*, user: User, week: IsoWeek) -> IsoWeek:
    """From when ``user``, who does not count in ``week``, will (as far as known now)."""
    first = max(counted_from(user=user), week.shifted(1))
    membership = TeamMembership.objects.filter(user=user).order_by("from_year", "from_week").first()
    if membership is not None:
        first = max(first, _from_week(membership))
    return first


# --- Services --------------------------------------------------------------------------


def _minimum_sync(*, effective: IsoWeek, now: datetime, notices: list[Notice]) -> bool:
    stored = OrganizationSettings.objects.filter(id=1).values_list("pulse_minimum_group", flat=True)
    asked = max(MINIMUM_FLOOR, next(iter(stored), minimum_default()))
    latest = AnonymityMinimum.objects.order_by("-from_year", "-from_week").first()
    recorded = latest.value if latest is not None else minimum_default()
    if asked == recorded:
        return False
    if latest is not None and _from_week(latest) >= effective:
        # Changed again before the last change took effect: the newest one stands.
        latest.value, latest.recorded_at = asked, now
        latest.save(update_fields=["value", "recorded_at"])
    else:
        AnonymityMinimum.objects.create(
            value=asked, from_year=effective.year, from_week=effective.week, recorded_at=now
        )
    for person in User.objects.filter(is_active=True):
        notices.append(
            Notice(
                recipient=person,
                source_key=f"anonymity-minimum:{effective}:{asked}",
                title=f"The anonymity minimum becomes {asked} from week {effective}",
                body=(
                    f"From week {effective} ({effective.monday:%d %b %Y}) on, pulse results "
                    f"and check-in aggregates are shown only for groups of at least {asked} "
                    f"people (it was {recorded}). The weeks before keep the minimum they had."
                ),
                url="/pulse/",
            )
        )
    return True


def _memberships_sync(*, effective: IsoWeek, now: datetime, notices: list[Notice]) -> int:
    latest = TeamMembership.objects.filter(user=OuterRef("pk")).order_by("-from_year", "-from_week")
    people = User.objects.annotate(
        recorded=Exists(latest), recorded_team=Subquery(latest.values("team")[:1])
    )
    changed = list(people.filter(Q(recorded=False) | ~Q(team=F("recorded_team"))))
    if not changed:
        return 0
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(
                user=person,
                team=person.team,
                from_year=effective.year,
                from_week=effective.week,
                recorded_at=now,
            )
            for person in changed
        ],
        update_conflicts=True,
        unique_fields=["user", "from_year", "from_week"],
        update_fields=["team", "recorded_at"],
    )
    teams = {person.team for person in changed} | {
        person.recorded_team for person in changed if person.recorded
    }
    teams.discard("")
    members = defaultdict(list)
    for member in people.filter(is_active=True, recorded_team__in=teams):
        members[member.recorded_team].append(member)
    for person in changed:
        # Someone first recorded outside any team (a new account) joined no group:
        # nothing to announce, to them or anyone.
        if not person.is_active or (not person.recorded and not person.team):
            continue
        key = f"team-membership:{person.pk}:{effective}:{person.team}"
        team_name = person.team or "no team"
        notices.append(
            Notice(
                recipient=person,
                source_key=key,
                title=f"From week {effective} your pulse answers count in {team_name}",
                body=(
                    f"Your team changed to {team_name}. Pulse results group answers by "
                    f"team; from week {effective} on, yours count there."
                ),
                url="/pulse/",
            )
        )
        joined = [(person.team, "joins")]
        if person.recorded and person.recorded_team != person.team:
            joined.append((person.recorded_team, "leaves"))
        for team, verb in joined:
            for member in members.get(team, []):
                if member.pk == person.pk:
                    continue
                notices.append(
                    Notice(
                        recipient=member,
                        source_key=key,
                        title=f"{person} {verb} {team} from week {effective}",
                        body=(
                            f"{person} {verb} your team, {team}, from week {effective}. "
                            f"Pulse results of {team} are of the people who belong to it "
                            f"in each week; who they are is announced to all of you."
                        ),
                        url="/pulse/",
                    )
                )
    return len(changed)


@transaction.atomic
def anonymity_changes_sync(*, today: date | None = None) -> dict[str, int]:
    """Record a changed minimum and changed teams from next week, and announce them.

    Idempotent: a second run finds nothing changed and notifies nobody twice (each
    notice has a source key). A team changed back before the change took effect is
    recorded again from the same week, so the newest team stands.
    """
    with connection.cursor() as cursor:
        # Two syncs at once would each record the same change.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"psops.anonymity:{connection.schema_name}"],  # type: ignore[attr-defined]  # django-tenants'
        )
    effective = IsoWeek.of(today or timezone.localdate()).shifted(1)
    now = timezone.now()
    notices: list[Notice] = []
    minimum_changed = _minimum_sync(effective=effective, now=now, notices=notices)
    memberships = _memberships_sync(effective=effective, now=now, notices=notices)
    notify_many(notices)
    return {"minimum": int(minimum_changed), "memberships": memberships}
