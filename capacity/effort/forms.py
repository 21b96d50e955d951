"""What a person types: the quick entry on the engagement page and the week grid.

The forms check the shape of the input (a number, a date, a choice of this
engagement); the services check the rules (``capacity.effort.services``).
"""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.formats import date_format

from capacity.models import EffortEntry
from engagements.models import Engagement, PainPoint, Recommendation
from psops.ui.numbers import plain_decimal

if TYPE_CHECKING:
    from capacity.effort.selectors import Timesheet

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
HOURS_ATTRS = {"step": "0.25", "min": "0", "max": "24", "inputmode": "decimal"}


def _hours_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs=HOURS_ATTRS),
        error_messages={
            "invalid": "Enter hours as a number (1.5).",
            "max_decimal_places": "Use at most two decimals (1.25 h).",
            "max_digits": "A day has 24 hours at most.",
            "max_whole_digits": "A day has 24 hours at most.",
        },
        **kwargs,
    )


class EffortQuickForm(forms.Form):
    """The engagement page's small form: hours on a day, optionally for what they served."""

    worked_on = forms.DateField(label="Date", widget=DATE_INPUT)
    hours = _hours_field(label="Hours")
    billable = forms.BooleanField(label="Billable", required=False, initial=True)
    pain_point = forms.ModelChoiceField(
        queryset=PainPoint.objects.none(),
        required=False,
        label="For pain point",
        empty_label="None",
        error_messages={"invalid_choice": "Choose a pain point of this engagement."},
    )
    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.none(),
        required=False,
        label="For recommendation",
        empty_label="None",
        error_messages={"invalid_choice": "Choose a recommendation of this engagement."},
    )
    note = forms.CharField(
        label="Note", required=False, max_length=EffortEntry._meta.get_field("note").max_length
    )

    def __init__(self, *args: Any, engagement: Engagement, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worked_on"].initial = today
        self.fields["worked_on"].widget.attrs["max"] = today.isoformat()
        pain_points = cast(forms.ModelChoiceField, self.fields["pain_point"])
        pain_points.queryset = PainPoint.objects.filter(engagement=engagement).order_by("title")
        recommendations = cast(forms.ModelChoiceField, self.fields["recommendation"])
        recommendations.queryset = Recommendation.objects.filter(engagement=engagement).order_by(
            "title"
        )


def cell_field_name(engagement_id: int | str, day: date) -> str:
    return f"h-{engagement_id}-{day.isoformat()}"


class TimesheetForm(forms.Form):
    """The week grid: one hours field per row and day, a billable box per row, and a
    row to add an engagement that is not on the grid yet.

    Only the cells that were posted count (``cells``): a cell the page showed as
    read-only (a day to come, a locked week) is not posted and stays as it is.
    """

    new_engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(),
        required=False,
        label="Add an engagement",
        empty_label="Choose an engagement",
        error_messages={"invalid_choice": "Choose an engagement you may log effort on."},
    )

    def __init__(self, *args: Any, timesheet: "Timesheet", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timesheet = timesheet
        for row in timesheet.rows:
            engagement = row.engagement
            for cell in row.cells:
                field = _hours_field(required=False, min_value=Decimal("0"))
                field.label = f"{engagement.name}, {date_format(cell.day, 'l j F')}"
                field.error_messages["min_value"] = "Hours cannot be negative."
                field.initial = plain_decimal(cell.hours) if cell.hours else None
                self.fields[cell_field_name(engagement.pk, cell.day)] = field
            self.fields[f"billable-{engagement.pk}"] = forms.BooleanField(
                required=False, initial=row.billable, label=f"{engagement.name} is billable"
            )
        for day in timesheet.days:
            field = _hours_field(required=False, min_value=Decimal("0"))
            field.label = f"Added engagement, {date_format(day, 'l j F')}"
            field.error_messages["min_value"] = "Hours cannot be negative."
            self.fields[cell_field_name("new", day)] = field
        self.fields["billable_new"] = forms.BooleanField(
            required=False, initial=True, label="Added engagement is billable"
        )
        addable = cast(forms.ModelChoiceField, self.fields["new_engagement"])
        addable.queryset = Engagement.objects.filter(pk__in=[e.pk for e in timesheet.addable])

    def _posted(self, name: str) -> bool:
        return self.is_bound and name in self.data

    def cells(self) -> dict[tuple[int, date], Decimal]:
        """(engagement id, day) -> hours, for the cells that were posted (blank is 0)."""
        result: dict[tuple[int, date], Decimal] = {}
        for row in self.timesheet.rows:
            for cell in row.cells:
                name = cell_field_name(row.engagement.pk, cell.day)
                if self._posted(name):
                    result[(row.engagement.pk, cell.day)] = self.cleaned_data[name] or Decimal(0)
        added = self.cleaned_data.get("new_engagement")
        if added is not None:
            for day in self.timesheet.days:
                value = self.cleaned_data.get(cell_field_name("new", day))
                if value:
                    result[(added.pk, day)] = value
        return result

    def billable(self) -> dict[int, bool]:
        """Engagement id -> billable, for the rows whose box was shown and posted."""
        result = {}
        for row in self.timesheet.rows:
            # An unticked box is not posted: the row's marker says what the box showed, so
            # only a box the person changed counts (a row of mixed entries stays mixed).
            marker = f"billable_was-{row.engagement.pk}"
            if self._posted(marker):
                value = self.cleaned_data[f"billable-{row.engagement.pk}"]
                if value != (self.data.get(marker) == "1"):
                    result[row.engagement.pk] = value
        added = self.cleaned_data.get("new_engagement")
        if added is not None:
            result[added.pk] = self.cleaned_data["billable_new"]
        return result

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        added = cleaned.get("new_engagement")
        has_new_hours = any(cleaned.get(cell_field_name("new", day)) for day in self.timesheet.days)
        if has_new_hours and added is None and "new_engagement" not in self.errors:
            self.add_error("new_engagement", "Choose the engagement these hours are for.")
        return cleaned

    def row_fields(self) -> list[dict[str, Any]]:
        """The bound fields of each row, in the grid's order, for the template."""
        rows = []
        for row in self.timesheet.rows:
            pk = row.engagement.pk
            rows.append(
                {
                    "row": row,
                    "cells": [
                        {"cell": cell, "field": self[cell_field_name(pk, cell.day)]}
                        for cell in row.cells
                    ],
                    "billable": self[f"billable-{pk}"],
                }
            )
        return rows

    def new_row_fields(self) -> list[dict[str, Any]]:
        return [
            {
                "day": day,
                "future": day > self.timesheet.today,
                "field": self[cell_field_name("new", day)],
            }
            for day in self.timesheet.days
        ]
