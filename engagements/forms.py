from django import forms
from django.core.exceptions import ValidationError

from engagements.models import (
    Activity,
    Client,
    Engagement,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from engagements.selectors import lead_choices
from psops.accounts.models import User, time_zone_choices

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "industry", "segment", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        duplicates = Client.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError("A client with this name already exists.")
        return name


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = [
            "client",
            "name",
            "kind",
            "status",
            "start_date",
            "target_end_date",
            "lead",
            "team",
            "budget_hours",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "target_end_date": DATE_INPUT,
            "team": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = lead_choices()
        self.fields["lead"].queryset = people
        self.fields["team"].queryset = people
        self.fields["client"].queryset = Client.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("target_end_date")
        if start and end and end < start:
            self.add_error("target_end_date", "The target end date is before the start date.")
        becomes_reset = cleaned.get("status") == Engagement.Status.RESET and (
            self.instance.status != Engagement.Status.RESET or not self.instance.pk
        )
        if becomes_reset:
            self.add_error("status", "Use “Reset engagement” to record a formal reset.")
        return cleaned


class EngagementResetForm(forms.Form):
    new_target_end_date = forms.DateField(label="New target end date", widget=DATE_INPUT)
    team_add = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Add to the team",
        widget=forms.CheckboxSelectMultiple,
    )
    team_remove = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Remove from the team",
        widget=forms.CheckboxSelectMultiple,
    )
    expectations = forms.CharField(
        label="Expectations from here on", widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        team = engagement.team.all()
        self.fields["team_remove"].queryset = team.order_by("full_name")
        self.fields["team_add"].queryset = lead_choices().exclude(pk__in=team)


class StakeholderForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")

    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "title",
            "email",
            "role",
            "influence",
            "affected",
            "preferred_channel",
            "time_zone",
            "engagements",
        ]
        widgets = {"engagements": forms.CheckboxSelectMultiple}

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engagements"].queryset = client.engagements.order_by("name")
        self.fields["engagements"].help_text = "The engagements this person is involved in."


SCALING_FIELDS = ("metric_name", "metric_unit", "current_value", "capacity", "monthly_growth_pct")


class PainPointForm(forms.ModelForm):
    """A pain point; a scaling one must carry numbers that make a projection."""

    class Meta:
        model = PainPoint
        fields = [
            "title",
            "description",
            "category",
            "severity",
            "status",
            "identified_on",
            "affected_stakeholders",
            "resolution",
            *SCALING_FIELDS,
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "resolution": forms.Textarea(attrs={"rows": 2}),
            "identified_on": DATE_INPUT,
            "affected_stakeholders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_stakeholders"].queryset = engagement.client.stakeholders.order_by(
            "name"
        )
        self.fields["metric_name"].help_text = "Scaling only, e.g. “orders per day”."
        self.fields["monthly_growth_pct"].help_text = "Compound growth per month, e.g. 8 for 8%."

    def clean(self):
        cleaned = super().clean()
        return clean_scaling_numbers(self, cleaned)


def _ask_for(form: forms.Form, field: str, message: str) -> None:
    """Ask for a missing number, unless what was typed already failed ("Enter a number.")."""
    if field not in form.errors:
        form.add_error(field, message)


def clean_scaling_numbers(form: forms.BaseForm, cleaned: dict) -> dict:
    if cleaned.get("category") != PainPoint.Category.SCALING:
        return cleaned
    if not (cleaned.get("metric_name") or "").strip():
        form.add_error("metric_name", "A scaling pain point needs the metric that grows.")
    current, capacity = cleaned.get("current_value"), cleaned.get("capacity")
    growth = cleaned.get("monthly_growth_pct")
    if current is None:
        _ask_for(form, "current_value", "Enter today's value.")
    elif current <= 0:
        form.add_error("current_value", "The current value must be above 0.")
    if capacity is None:
        _ask_for(form, "capacity", "Enter the capacity: the value where it breaks.")
    elif capacity <= 0:
        form.add_error("capacity", "The capacity must be above 0.")
    if growth is None:
        _ask_for(form, "monthly_growth_pct", "Enter the monthly growth rate in percent.")
    elif growth < 0:
        form.add_error(
            "monthly_growth_pct",
            "A scaling problem grows: use 0 or more (a shrinking metric is not a scaling risk).",
        )
    return cleaned


class QuickPainPointForm(forms.ModelForm):
    """The inline form on the engagement page: seconds to fill in while the call is fresh."""

    class Meta:
        model = PainPoint
        fields = ["title", "category", "severity", *SCALING_FIELDS]
        labels = {"title": "Pain point", "monthly_growth_pct": "Growth / month (%)"}

    def clean(self):
        cleaned = super().clean()
        return clean_scaling_numbers(self, cleaned)


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["title", "rationale", "effort_days", "pain_point", "proposed_on"]
        widgets = {"rationale": forms.Textarea(attrs={"rows": 3}), "proposed_on": DATE_INPUT}

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pain_point"].queryset = engagement.pain_points.order_by("title")
        self.fields["pain_point"].empty_label = "None"

    def clean_effort_days(self):
        effort = self.cleaned_data.get("effort_days")
        if effort is not None and effort < 0:
            raise ValidationError("Effort cannot be negative.")
        return effort


class RecommendationDecisionForm(forms.Form):
    DECISIONS = [
        (value, label)
        for value, label in Recommendation.Status.choices
        if value != Recommendation.Status.PROPOSED
    ]

    status = forms.ChoiceField(label="Decision", choices=DECISIONS)
    decided_by_name = forms.CharField(label="Decided by", max_length=150, required=False)
    decided_by_role = forms.CharField(
        label="Their role",
        max_length=150,
        required=False,
        help_text="For example “VP Sales”.",
    )
    decided_on = forms.DateField(label="Decision date", required=False, widget=DATE_INPUT)
    decision_reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the recommendation is deferred or declined.",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("status") in Recommendation.NEEDS_REASON
            and not (cleaned.get("decision_reason") or "").strip()
        ):
            label = Recommendation.Status(cleaned["status"]).label.lower()
            self.add_error("decision_reason", f"Say why it was {label}.")
        return cleaned


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["title", "owner", "due_on", "channel", "stakeholder"]
        widgets = {"due_on": DATE_INPUT}

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = lead_choices()
        self.fields["stakeholder"].queryset = engagement.client.stakeholders.order_by("name")
        self.fields["stakeholder"].empty_label = "None"


class EscalationForm(forms.ModelForm):
    confirm_left_out = forms.BooleanField(required=False, widget=forms.HiddenInput, initial=False)

    class Meta:
        model = Escalation
        fields = ["title", "severity", "description", "affected_stakeholders"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "affected_stakeholders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affected_stakeholders"].queryset = engagement.stakeholders.order_by("name")


class EscalationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Escalation.Status.choices)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type",
        choices=[(k, Activity.Kind(k).label) for k in Activity.USER_WRITTEN],
        initial=Activity.Kind.NOTE,
    )
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))
