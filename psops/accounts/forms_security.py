"""Forms of the sign-in's second step, re-authentication and the second factor pages."""

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django_otp.models import Device

from psops.accounts import second_factor
from psops.accounts.models import User

CODE_WIDGET = forms.TextInput(
    attrs={
        "autocomplete": "one-time-code",
        "inputmode": "numeric",
        "autofocus": True,
        "spellcheck": "false",
        "autocapitalize": "off",
    }
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=32,
        widget=CODE_WIDGET,
        help_text="Six digits, or one of your recovery codes.",
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label="Code shown by the app",
        max_length=32,
        widget=CODE_WIDGET,
        help_text="Six digits; they change every 30 seconds.",
    )


class PasswordAndCodeForm(forms.Form):
    """The person's password, and a code when they have a second factor.

    The password goes through ``authenticate``, so wrong passwords count towards the
    same sign-in throttle as on the sign-in page.
    """

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="Six digits, or one of your recovery codes.",
    )

    def __init__(self, *args: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user
        self.device: Device | None = None
        self.needs_code = second_factor.second_factor_enabled(user=user)
        if not self.needs_code:
            del self.fields["code"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password is None:
            return cleaned
        checked = authenticate(self.request, username=self.user.email, password=password)
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError("That password is not right.", code="invalid_password")
        if self.needs_code:
            self.device = second_factor.second_factor_verify(
                user=self.user, code=cleaned.get("code", "")
            )
            if self.device is None:
                self.add_error("code", "That code is not right, or was already used.")
        return cleaned
