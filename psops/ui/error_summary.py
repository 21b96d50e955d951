"""``{% error_summary form formset ... %}``: a long form's errors at the top, each a link.

A refused save reloads the page at its top; the errors sit next to their fields,
perhaps 2,000 px further down. The summary says how many problems there are and
links to each field (``static/js/app.js`` moves the focus to it), as GOV.UK's error
summary does. Forms and formsets may be mixed; one without errors adds nothing.
"""

from dataclasses import dataclass

from django import template
from django.forms import BaseForm, BaseFormSet

register = template.Library()


@dataclass(frozen=True)
class Problem:
    text: str
    anchor: str  # the id of the field to go to; "" for an error of the whole form


def _field_anchor(form: BaseForm, name: str) -> str:
    bound = form[name]
    # A group of radio buttons has no single labelled element: go to its first button.
    return bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")


def _form_problems(form: BaseForm, prefix: str = "") -> list[Problem]:
    problems = [Problem(f"{prefix}{error}", "") for error in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        problems += [
            Problem(f"{prefix}{label}: {error}", _field_anchor(form, name)) for error in errors
        ]
    return problems


def problems_of(*forms: BaseForm | BaseFormSet | None) -> list[Problem]:
    problems: list[Problem] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        if isinstance(form, BaseFormSet):
            problems += [Problem(str(error), "") for error in form.non_form_errors()]
            # "Stakeholder 2: Email: ...", named after the formset ("stakeholders").
            noun = (form.prefix or "").removesuffix("s").replace("_", " ").capitalize() or "Row"
            for number, row in enumerate(form.forms, start=1):
                problems += _form_problems(row, prefix=f"{noun} {number}: ")
        else:
            problems += _form_problems(form)
    return problems


@register.inclusion_tag("_error_summary.html")
def error_summary(*forms: BaseForm | BaseFormSet | None) -> dict:
    return {"problems": problems_of(*forms)}
