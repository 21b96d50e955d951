"""The pulse form. It validates input; ``health.pulse`` acts on it."""

from django import forms

from health.models import PulseResponse
from health.pulse.services import COMMENT_MAX_LENGTH

SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]


def _score(label: str, help_text: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": "Choose 1 to 5.", "invalid_choice": "Choose 1 to 5."},
    )


class PulseForm(forms.Form):
    # The week the form was shown for: an answer about last week must not silently
    # become this week's.
    week = forms.CharField(widget=forms.HiddenInput, required=False)
    energy = _score("Energy", "1 drained … 5 full of energy")
    workload = _score("Workload", "1 far too little … 3 about right … 5 far too much")
    safety = _score("Psychological safety", PulseResponse._meta.get_field("safety").help_text)
    comment = forms.CharField(
        label="Anything else? (optional)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Leaders read comments word for word: leave out anything that would "
        "tell them who wrote it.",
    )

    def answers(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("energy", "workload", "safety", "comment")
        }
