"""The KPI pages' forms: the evidence page's query and the admins' targets."""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.html import escape

from engagements.models import Engagement
from health.kpis.base import kpi_value_parts
from health.kpis.registry import KPIS

MAX_PERIOD_DAYS = 3650
# The earliest day a KPI can be asked about: far enough back for any real history, and
# far from date.min, where the window (as_of minus up to MAX_PERIOD_DAYS) and the
# week arithmetic would overflow. The same bound as the sales-enablement report.
EARLIEST_AS_OF = date(1900, 1, 1)


class EvidenceQueryForm(forms.Form):
    """The tile's scope and day, as the dashboard links them (all optional)."""

    lead = forms.IntegerField(required=False, min_value=1)
    kind = forms.ChoiceField(required=False, choices=[("", "Both kinds"), *Engagement.Kind.choices])
    period = forms.IntegerField(required=False, min_value=1, max_value=MAX_PERIOD_DAYS)
    as_of = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > self.today:
            raise forms.ValidationError("The day must not be in the future.")
        if as_of and as_of < EARLIEST_AS_OF:
            raise forms.ValidationError(
                f"The day must be between {EARLIEST_AS_OF} and today ({self.today})."
            )
        return as_of or self.today


UNIT_BOUNDS = {
    "%": (Decimal(0), Decimal(100)),
    "of 5": (Decimal(1), Decimal(5)),
}


class KpiTargetsForm(forms.Form):
    """One optional number per KPI; blank means no target."""

    def __init__(self, *args, targets: dict[str, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        for kpi in KPIS:
            low, high = UNIT_BOUNDS.get(kpi.unit, (Decimal(0), None))
            direction = "Higher" if kpi.higher_is_better else "Lower"
            target = targets.get(kpi.key)
            # 80, not 80.00: the form shows what an admin would type.
            typed = kpi_value_parts(unit="count", value=target)[0] if target is not None else None
            self.fields[kpi.key] = forms.DecimalField(
                # "Surprises per handoff (per handoff)" would say it twice.
                label=kpi.title if kpi.unit in kpi.title.lower() else f"{kpi.title} ({kpi.unit})",
                required=False,
                max_digits=12,
                decimal_places=2,
                min_value=low,
                max_value=high,
                initial=typed,
                help_text=escape(
                    f"{direction} is better. {kpi.definition} Leave blank for no target."
                ),
            )
