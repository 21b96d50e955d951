from typing import cast

from django import forms

from psops.accounts.models import User
from psops.audit.selectors import AuditQuery, audit_readable_tables, object_type_label


class AuditFilterForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone",
        help_text="Who made the change.",
    )
    type = forms.ChoiceField(label="Object type", required=False)
    object = forms.RegexField(
        label="Object id",
        regex=r"^\d{1,18}$",
        required=False,
        max_length=18,
        error_messages={"invalid": "An object id is a whole number, as in the object's address."},
        help_text="With an object type: that object and what belongs to it.",
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        person = cast(forms.ModelChoiceField, self.fields["person"])
        person.queryset = User.objects.order_by("full_name", "email")
        types = sorted(
            ((table, object_type_label(table)) for table in audit_readable_tables(user)),
            key=lambda choice: choice[1],
        )
        kind = cast(forms.ChoiceField, self.fields["type"])
        kind.choices = [("", "Any type"), *types]

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("object") and not data.get("type"):
            self.add_error("type", "Choose the object type the id belongs to.")
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def query(self) -> AuditQuery:
        data = self.cleaned_data if self.is_bound else {}
        person = data.get("person")
        return AuditQuery(
            actor_id=person.pk if person else None,
            table=data.get("type") or "",
            object_id=data.get("object") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
