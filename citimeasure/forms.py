"""Forms of the site's own account pages (allauth's forms are extended here, not copied)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _


class SignupConsentForm(forms.Form):
    """Extra sign-up fields: consent to the terms and privacy notice, recorded with its version.

    Plugged in through ACCOUNT_SIGNUP_FORM_CLASS; allauth adds these fields to its own sign-up
    form and calls `signup()` once the user row exists, inside the sign-up request.
    """

    terms = forms.BooleanField(required=True)

    def __init__(self, *args, **kwargs) -> None:
        from citimeasure.privacy import CONSENT_VERSIONS

        super().__init__(*args, **kwargs)
        # Built per request, so the label is in the visitor's language.
        self.fields["terms"].label = _(
            "I agree to the terms and privacy notice (version %(version)s)"
        ) % {"version": CONSENT_VERSIONS["signup"]}
        self.fields["terms"].error_messages["required"] = _(
            "Agree to the terms and privacy notice to create an account."
        )

    def signup(self, request, user) -> None:
        """Record the consent: who, when, which version of the text."""
        from citimeasure.models import Consent
        from citimeasure.privacy import CONSENT_VERSIONS

        Consent.objects.create(
            user=user, kind=Consent.Kind.SIGNUP, text_version=CONSENT_VERSIONS["signup"]
        )
