"""Forms of the check-in and 1:1 pages. They validate input; the services act on it."""

from django import forms

from health.checkins.one_on_ones import NOT_YOUR_REPORT, one_on_one_candidates
from health.checkins.weekly import ANSWER_FIELDS
from health.models import CheckIn, OneOnOne
from psops.accounts.models import User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]


def _score(label: str, help_text: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "score"}),
        help_text=help_text,
        error_messages={"required": "Choose 1 to 5.", "invalid_choice": "Choose 1 to 5."},
    )


class CheckInForm(forms.ModelForm):
    # The week the form was shown for: a form opened last week and sent after
    # Sunday midnight must not silently become this week's check-in.
    week = forms.CharField(widget=forms.HiddenInput, required=False)

    energy = _score("Energy", CheckIn._meta.get_field("energy").help_text)
    workload = _score("Workload", CheckIn._meta.get_field("workload").help_text)
    connection = _score("Connection to the team", CheckIn._meta.get_field("connection").help_text)

    class Meta:
        model = CheckIn
        fields = list(ANSWER_FIELDS)
        labels = {
            "boundaries": "Were your boundaries respected this week?",
            "blockers": "Blockers",
            "wins": "Wins",
        }
        help_texts = {
            "blockers": "What is in your way? Your manager reads this.",
            "wins": "What went well, big or small.",
        }
        widgets = {
            "boundaries": forms.RadioSelect,
            "blockers": forms.Textarea(attrs={"rows": 3}),
            "wins": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["energy", "workload", "boundaries", "connection", "blockers", "wins"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A ModelForm adds an empty "---------" choice to a field with a default-less
        # choice list when shown as radios; a check-in always picks one.
        self.fields["boundaries"].choices = CheckIn.Boundaries.choices
        self.fields["boundaries"].error_messages["required"] = "Choose yes, mostly or no."

    def answers(self) -> dict:
        return {field: self.cleaned_data[field] for field in ANSWER_FIELDS}


class OneOnOneCreateForm(forms.Form):
    report = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="With",
        empty_label="Choose a person",
        error_messages={"invalid_choice": NOT_YOUR_REPORT, "required": "Choose a person."},
        help_text="Your direct reports, and their reports for a skip-level.",
    )
    held_on = forms.DateField(label="Date", widget=DATE_INPUT)
    shared_notes = forms.CharField(
        label="Shared notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Visible to both of you, and to nobody else.",
    )

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = one_on_one_candidates(manager=manager)
        self.fields["report"].queryset = candidates
        self.fields["report"].label_from_instance = lambda person: (
            f"{person} (skip-level)" if person.manager_id != manager.pk else str(person)
        )


class SharedNotesForm(forms.ModelForm):
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = OneOnOne
        fields = ["held_on", "shared_notes"]
        labels = {"held_on": "Date", "shared_notes": "Notes"}
        help_texts = {"shared_notes": ""}  # the section says who sees them
        widgets = {"held_on": DATE_INPUT, "shared_notes": forms.Textarea(attrs={"rows": 10})}


class PrivateNoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Only you can read this: not the other person, not admins, not leaders. "
        "Save it empty to delete it.",
    )
