"""What people do with a risk the scans found."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from health.models import Risk
from psops.accounts.models import User


def risk_acknowledge(*, risk: Risk, by: User, note: str) -> Risk:
    """Someone has seen the risk and says what happens next; it stays listed until resolved."""
    if risk.status == Risk.Status.RESOLVED:
        raise ValidationError("This risk is already resolved.")
    if not note.strip():
        raise ValidationError("Say what happens next.")
    risk.status = Risk.Status.ACKNOWLEDGED
    risk.acknowledged_by = by
    risk.acknowledged_at = timezone.now()
    risk.acknowledgement_note = note.strip()
    risk.save(
        update_fields=["status", "acknowledged_by", "acknowledged_at", "acknowledgement_note"]
    )
    return risk
