"""What a person types on the planning pages. The forms read values; the services
(capacity.planning.services) refuse what is out of range, so every path says the
same thing."""

from datetime import time

from django import forms

from capacity.models import Allocation, TimeOff
from capacity.planning.selectors import DAY_NAMES, planned_people

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
HOURS_INPUT = forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"})


def _hours_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, decimal_places=1, widget=HOURS_INPUT)


class WeeklyCapacityForm(forms.Form):
    starts_on = forms.DateField(label="From", widget=DATE_INPUT)
    hours_per_week = _hours_field("Hours a week")


class WorkingPatternForm(forms.Form):
    starts_at = forms.TimeField(label="Starts at", widget=TIME_INPUT, initial=time(9))
    ends_at = forms.TimeField(label="Ends at", widget=TIME_INPUT, initial=time(17))
    weekdays = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=list(enumerate(DAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
        error_messages={"required": "Choose at least one working day."},
    )


class TimeOffForm(forms.Form):
    starts_on = forms.DateField(label="First day away", widget=DATE_INPUT)
    ends_on = forms.DateField(label="Last day away", widget=DATE_INPUT)
    reason = forms.ChoiceField(
        choices=TimeOff.Reason.choices,
        initial=TimeOff.Reason.VACATION,
        help_text="Only you, your manager and admins see the reason; others see “away”.",
    )


class AllocationForm(forms.Form):
    person = forms.ModelChoiceField(queryset=planned_people())
    role = forms.CharField(label="Role on the engagement", max_length=100)
    hours_per_week = _hours_field("Hours a week")
    starts_on = forms.DateField(label="From", widget=DATE_INPUT)
    ends_on = forms.DateField(label="To", widget=DATE_INPUT)
    status = forms.ChoiceField(choices=Allocation.Status.choices, initial="confirmed")

    @classmethod
    def for_allocation(cls, allocation: Allocation, data=None) -> "AllocationForm":
        return cls(
            data,
            initial={
                "person": allocation.person_id,
                "role": allocation.role,
                "hours_per_week": allocation.hours_per_week,
                "starts_on": allocation.starts_on,
                "ends_on": allocation.ends_on,
                "status": allocation.status,
            },
        )


class DemandForm(forms.Form):
    role = forms.CharField(label="Role", max_length=100, help_text="e.g. Solution architect")
    hours_per_week = _hours_field("Hours a week")
    starts_on = forms.DateField(label="From", widget=DATE_INPUT)
    ends_on = forms.DateField(label="To", widget=DATE_INPUT)
    person = forms.ModelChoiceField(
        queryset=planned_people(), required=False, empty_label="Nobody named yet"
    )
