"""A service's ValidationError lands on the form the user sees, never lost."""

from django import forms
from django.core.exceptions import ValidationError

from psops.ui.forms import form_errors_from, int_or_none


class NameForm(forms.Form):
    name = forms.CharField()


def bound() -> NameForm:
    form = NameForm({"name": "Ada"})
    assert form.is_valid()
    return form


def test_a_fields_message_goes_on_that_field():
    form = bound()
    form_errors_from(form, ValidationError({"name": "Taken."}))

    assert form.errors == {"name": ["Taken."]}


def test_a_message_for_a_field_the_form_lacks_is_a_non_field_error():
    form = bound()
    form_errors_from(form, ValidationError({"owner": "Not on the team."}))

    assert form.non_field_errors() == ["Not on the team."]


def test_a_plain_message_is_a_non_field_error():
    form = bound()
    form_errors_from(form, ValidationError(["Closed.", "Try later."]))

    assert form.non_field_errors() == ["Closed.", "Try later."]


def test_int_or_none_reads_query_string_ids():
    assert int_or_none("12") == 12
    assert int_or_none("") is None
    assert int_or_none(None) is None
    assert int_or_none("12a") is None
