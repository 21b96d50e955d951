from django import forms
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from engagements.models import Client
from engagements.selectors import client_find_by_name, lead_choices
from handoffs import documents
from handoffs.models import (
    CHECKLIST,
    ITEM_FIELDS,
    PACKET_FIELDS,
    SCORES,
    STAKEHOLDER_FIELDS,
    SURPRISE_VERDICTS,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    Verdict,
)
from psops.accounts.models import Role, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SOW_MAX_MB = 10
SOW_MAX_BYTES = SOW_MAX_MB * 1024 * 1024
# Extension -> what checks that the file is such a document (handoffs.documents).
SOW_FORMATS = {".pdf": documents.is_pdf, ".docx": documents.is_docx}


def validate_sow(upload) -> None:
    name = upload.name.lower()
    extension = next((ext for ext in SOW_FORMATS if name.endswith(ext)), None)
    if extension is None:
        raise ValidationError("Attach the SOW as a PDF or DOCX file.")
    if upload.size > SOW_MAX_BYTES:
        raise ValidationError(
            f"The SOW is {upload.size / 1024 / 1024:.1f} MB; the limit is {SOW_MAX_MB} MB."
        )
    if not SOW_FORMATS[extension](upload):
        raise ValidationError(f"This file is not a valid {extension[1:].upper()} document.")


class PacketForm(forms.ModelForm):
    class Meta:
        model = HandoffPacket
        fields = [*PACKET_FIELDS, "sow"]
        widgets = {
            "signed_on": DATE_INPUT,
            "requested_start": DATE_INPUT,
            "goals": forms.Textarea(attrs={"rows": 3}),
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
            "discovery_notes": forms.Textarea(attrs={"rows": 4}),
            "sow": forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")
        self.fields["client"].empty_label = "A new client (name below)"
        self.fields["sow"].help_text = (
            f"PDF or DOCX, at most {SOW_MAX_MB} MB. Not needed to submit; when there is "
            "one, reviewers check the custom work is priced in it."
        )

    def clean_sow(self):
        upload = self.cleaned_data.get("sow")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            validate_sow(upload)
        return upload

    def clean_contract_value(self):
        value = self.cleaned_data.get("contract_value")
        if value is not None and value < 0:
            raise ValidationError("The contract value cannot be negative.")
        return value

    def clean_crm_id(self):
        crm_id = self.cleaned_data.get("crm_id", "").strip()
        duplicates = HandoffPacket.objects.filter(crm_id=crm_id).exclude(pk=self.instance.pk)
        if crm_id and duplicates.exists():
            raise ValidationError("Another handoff packet already has this CRM id.")
        return crm_id

    def clean(self):
        cleaned = super().clean()
        client, new_name = cleaned.get("client"), (cleaned.get("new_client_name") or "").strip()
        if client and new_name:
            self.add_error("new_client_name", "Either pick an existing client or name a new one.")
        elif not client and not new_name:
            self.add_error("new_client_name", "Pick the client, or name a new one.")
        elif new_name and client_find_by_name(name=new_name) is not None:
            self.add_error("new_client_name", "This client exists already: pick it above.")
        cleaned["new_client_name"] = new_name
        return cleaned


StakeholderFormSet = inlineformset_factory(
    HandoffPacket,
    HandoffStakeholder,
    fields=list(STAKEHOLDER_FIELDS),
    extra=2,
    can_delete=True,
)
ItemFormSet = inlineformset_factory(
    HandoffPacket,
    HandoffItem,
    fields=list(ITEM_FIELDS),
    extra=3,
    can_delete=True,
    widgets={"description": forms.Textarea(attrs={"rows": 2})},
)


class ReviewForm(forms.Form):
    """Verdicts on every item, the readiness checklist and the decision, in one form."""

    decision = forms.ChoiceField(choices=HandoffReview.Decision.choices, widget=forms.RadioSelect)
    lead = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Engagement lead (when accepting)"
    )
    comments = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when requesting changes (what to change) or rejecting (why).",
    )

    def __init__(self, *args, items: list[HandoffItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["lead"].queryset = lead_choices().exclude(role=Role.ADMIN)
        for item in items:
            self.fields[f"verdict_{item.pk}"] = forms.ChoiceField(
                label=f"{item.get_kind_display()}: {item.description}",
                choices=Verdict.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label="Note",
                required=False,
                widget=forms.TextInput,
                help_text="Required for anything but “in scope”.",
            )
        for name, label in CHECKLIST:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                coerce=int,
                choices=[(score, f"{score} {say}") for score, say in SCORES.items()],
                widget=forms.RadioSelect,
            )

    def item_rows(self):
        return [(item, self[f"verdict_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def checklist_fields(self):
        return [self[name] for name, _ in CHECKLIST]

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            verdict = cleaned.get(f"verdict_{item.pk}")
            if verdict in SURPRISE_VERDICTS and not cleaned.get(f"note_{item.pk}", "").strip():
                self.add_error(f"note_{item.pk}", "Explain the surprise.")
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))


class AssignReviewerForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody (leaders review)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = User.objects.filter(
            is_active=True, role__in=[Role.CONSULTANT, Role.LEADER]
        ).order_by("full_name")


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The integration that will use it, e.g. “Salesforce sync”."
    )
    acts_as = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Acts as",
        help_text=(
            "A sales rep: packets the CRM sends are filed as theirs, and they submit them "
            "for review."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        acts_as = self.fields["acts_as"]
        acts_as.queryset = User.objects.filter(is_active=True, role=Role.SALES).order_by(
            "full_name", "email"
        )
        acts_as.label_from_instance = lambda user: f"{user} ({user.get_role_display()})"
