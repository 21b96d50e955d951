from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from psops.accounts import services
from psops.accounts.emails import email_normalize
from psops.accounts.models import OrganizationSettings, Role, User, time_zone_choices
from psops.mail import email_send_after_commit
from psops.tenancy.services import organization_base_url


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an active account here.",
    }

    def clean_username(self) -> str:
        # The throttle (axes_username) and the account lookup see the same spelling.
        return email_normalize(self.cleaned_data.get("username"))


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email rendered now and sent by a worker after commit."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # The link's address comes from configuration, not from the request's Host
        # header (which Django's view would use): a forged Host cannot redirect it.
        base_url = organization_base_url()
        email_send_after_commit(
            to=[to_email],
            subject_template=subject_template_name,
            body_template=email_template_name,
            context=context | {"base_url": base_url, "domain": base_url.split("://", 1)[1]},
        )

    def get_users(self, email):
        # Unlike Django's default, people who never set a password (a new
        # organization's first admin) may use the reset flow to choose one.
        return User.objects.filter(email__iexact=email_normalize(email), is_active=True)


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONSULTANT)

    def clean_email(self) -> str:
        return email_normalize(self.cleaned_data["email"])


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", "The two passwords do not match.")
            else:
                try:
                    password_validation.validate_password(
                        password1, User(email=self.email, full_name=cleaned.get("full_name", ""))
                    )
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


class UserEditForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    manager = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="No manager"
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    team = forms.CharField(
        max_length=100,
        required=False,
        help_text="Anonymous pulse results are grouped by team. A change counts from next "
        "week; the person and both teams are told.",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(is_active=True).exclude(pk=user.pk)


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = OrganizationSettings
        fields = [
            "review_sla_business_days",
            "pulse_minimum_group",
            "scaling_horizon_days",
            "followup_escalation_days",
            "stale_engagement_days",
            "second_factor_required",
            "audit_retention_days",
            "weekly_capacity_hours",
        ]
        help_texts = {
            "pulse_minimum_group": "Anonymous pulse results and check-in aggregates are shown "
            "only for groups of at least this many people (3 at the lowest). A change takes "
            "effect from next week and everyone is told.",
        }


class NotifyingSetPasswordForm(SetPasswordForm):
    """Django's set-password form (the reset link), saving through the accounts service,
    which tells the person their password changed."""

    def save(self, commit=True):
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"]
        )


class NotifyingPasswordChangeForm(PasswordChangeForm):
    """Django's password change (old password, new one twice), saving through the service."""

    def save(self, commit=True):
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"]
        )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="New email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We email a link to the new address and one to your current address; "
        "the change applies once both are followed.",
    )

    def clean_new_email(self) -> str:
        return email_normalize(self.cleaned_data["new_email"])
