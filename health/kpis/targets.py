"""Targets: what each tenant aims for, and whether a value is on, near or off it."""

from decimal import Decimal

from django.db import transaction

from health.kpis.registry import KPI_KEYS
from health.models import KpiTarget
from psops.accounts.models import User

# "Near" target: within this share of the target, on the wrong side of it.
NEAR_TOLERANCE = Decimal("0.10")


STATUS_LABELS = {
    "on": "On target",
    "near": "Near target",
    "off": "Off target",
    "none": "No target",
}


def kpi_status(*, value: Decimal | None, target: Decimal | None, higher_is_better: bool) -> str:
    """ "on", "near", "off", or "none" when there is no value or no target.

    On: the value meets the target (at or above it when higher is better, at or below it
    when lower is better). Near: it misses, but by no more than 10% of the target
    (``NEAR_TOLERANCE``), on the wrong side: with a target of 80%, 72% to 79.9% is near.
    Off: it misses by more. A target of 0 has no near band: anything worse is off.
    """
    if value is None or target is None:
        return "none"
    tolerance = abs(target) * NEAR_TOLERANCE
    if higher_is_better:
        if value >= target:
            return "on"
        return "near" if value >= target - tolerance else "off"
    if value <= target:
        return "on"
    return "near" if value <= target + tolerance else "off"


def kpi_targets_get() -> dict[str, Decimal]:
    """Every target this tenant has set, by KPI key: one query."""
    return dict(
        KpiTarget.objects.filter(key__in=list(KPI_KEYS)).values_list("key", "target").order_by()
    )


@transaction.atomic
def kpi_targets_save(*, targets: dict[str, Decimal | None], by: User) -> list[str]:
    """Set each KPI's target (None removes it); returns the keys that changed.

    A target that did not change keeps its ``updated_by`` and ``updated_at``.
    """
    unknown = set(targets) - KPI_KEYS
    if unknown:
        raise ValueError(f"unknown KPI keys: {sorted(unknown)}")
    current = kpi_targets_get()
    changed = [key for key, value in targets.items() if current.get(key) != value]
    removed = [key for key in changed if targets[key] is None]
    if removed:
        KpiTarget.objects.filter(key__in=removed).delete()
    upserts = [
        KpiTarget(key=key, target=targets[key], updated_by=by)
        for key in changed
        if targets[key] is not None
    ]
    if upserts:
        KpiTarget.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["target", "updated_by", "updated_at"],
        )
    return changed
