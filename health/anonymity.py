"""The anonymity rules shared by every aggregate of the team's own words: the pulse's
results, the check-in summary and the team KPIs.

- The minimum: the tenant's ``pulse_minimum_group``, never below 3, in force from the
  week after it was changed (``health.groups``): each week is judged by the minimum
  recorded for it in ``AnonymityMinimum``. Nothing is shown for a group with fewer
  answers (or people) than that.
- Folding: a team below the minimum is shown with people without a team under
  "Other teams", itself shown only from the minimum. Subtraction guard: if what is
  not shown under a team's name numbers between 1 and minimum - 1, the total minus
  the teams shown would give it away, so the smallest team shown is folded in with
  it, again and again, until it reaches the minimum or no team is left (then only
  the overall figure is shown).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils import timezone

from health.models import AnonymityMinimum
from health.weeks import IsoWeek
from psops.accounts.models import OrganizationSettings

# Stored team of the answers shown together as "Other teams" (folded, or no team).
OTHER = ""
OTHER_LABEL = "Other teams"


MINIMUM_FLOOR = 3


def minimum_default() -> int:
    """The minimum of an organization that never changed it."""
    default = OrganizationSettings._meta.get_field("pulse_minimum_group").default
    return int(default)


def pulse_minimums(*, weeks: Iterable[IsoWeek]) -> dict[IsoWeek, int]:
    """The anonymity minimum in force for each of ``weeks``, in one query.

    Recorded by ``health.groups.anonymity_changes_sync`` from the week after a change;
    before any change, the default. Never below 3, whatever a row says.
    """
    history = sorted(
        (IsoWeek(year, week), value)
        for year, week, value in AnonymityMinimum.objects.values_list(
            "from_year", "from_week", "value"
        )
    )
    result = {}
    for week in weeks:
        in_force = [value for start, value in history if start <= week]
        result[week] = max(MINIMUM_FLOOR, in_force[-1] if in_force else minimum_default())
    return result


def pulse_minimum(week: IsoWeek | None = None) -> int:
    """The anonymity minimum in force for ``week`` (default: this week). Reads only."""
    week = week or IsoWeek.of(timezone.localdate())
    return pulse_minimums(weeks=[week])[week]


@dataclass(frozen=True)
class PulseFold:
    """Which groups of a week may be shown, by the rules in this module's docstring."""

    minimum: int
    total: int
    shown_teams: tuple[str, ...]
    other_count: int
    folded_small: bool
    folded_for_subtraction: bool

    @property
    def overall_shown(self) -> bool:
        return self.total >= self.minimum

    @property
    def breakdown_shown(self) -> bool:
        return bool(self.shown_teams)

    @property
    def other_shown(self) -> bool:
        return self.breakdown_shown and self.other_count > 0

    def label(self, team: str) -> str:
        """The stored team of an answer from ``team``: its own, or ``OTHER``."""
        return team if team in self.shown_teams else OTHER


def pulse_groups_fold(*, counts: Mapping[str, int], minimum: int) -> PulseFold:
    """Fold small teams into "Other teams" and guard against subtraction.

    ``counts`` maps a team (``OTHER`` for answers without one) to its number of
    answers. A team is shown under its name with at least ``minimum`` answers. The
    rest ("Other teams") must then be empty or reach ``minimum`` too: otherwise the
    total minus the teams shown would give it away, so the smallest team shown
    (ties by name, so the result is stable) joins it until it does. If no team is
    left, there is no breakdown, only the overall result.
    """
    total = sum(counts.values())
    if total < minimum:
        return PulseFold(minimum, total, (), total, False, False)
    shown = {team for team, n in counts.items() if team != OTHER and n >= minimum}
    folded_small = any(team != OTHER and 0 < n < minimum for team, n in counts.items())
    folded_for_subtraction = False
    while shown:
        rest = total - sum(counts[team] for team in shown)
        if rest == 0 or rest >= minimum:
            break
        shown.remove(min(shown, key=lambda team: (counts[team], team)))
        folded_for_subtraction = True
    rest = total - sum(counts[team] for team in shown)
    return PulseFold(
        minimum, total, tuple(sorted(shown)), rest, folded_small, folded_for_subtraction
    )
