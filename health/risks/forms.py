"""The risk pages' one form: acknowledging a risk says what is being done about it."""

from django import forms


class AcknowledgeForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
