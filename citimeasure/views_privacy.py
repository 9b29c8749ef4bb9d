"""Residents' rights pages: download my data, delete my account."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citimeasure.privacy import account_delete, account_delete_blockers, user_export


class DeleteAccountForm(forms.Form):
    """Deleting cannot be undone, so the password is asked again (a left-open session is not
    enough), and the user confirms explicitly."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    readings = forms.ChoiceField(
        label=gettext_lazy("The readings of your sensors"),
        choices=[
            (
                "keep",
                gettext_lazy(
                    "Keep them in their projects as anonymous open data (the sensor loses your "
                    "name and its exact location)"
                ),
            ),
            ("delete", gettext_lazy("Delete them with my sensors")),
        ],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my account and my data will be erased for good."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


def _page(request: HttpRequest, form: DeleteAccountForm, status: int = 200) -> HttpResponse:
    blockers = list(account_delete_blockers(request.user))
    response = render(
        request, "account/privacy.html", {"form": form, "blockers": blockers}, status=status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    """What we hold, how to download it, and how to delete the account."""
    return _page(request, DeleteAccountForm(user=request.user))


@login_required
def privacy_export(request: HttpRequest) -> HttpResponse:
    """The user's own data as one JSON file (GDPR art. 15 and 20); never anyone else's."""
    body = json.dumps(
        user_export(request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"citimeasure-my-data-{timezone.now():%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Erase the account (GDPR art. 17), unless projects would be left without a coordinator."""
    form = DeleteAccountForm(request.POST, user=request.user)
    blockers = list(account_delete_blockers(request.user))
    if blockers:
        names = ", ".join(f"“{p.title}”" for p in blockers)
        messages.error(
            request,
            _(
                "You are the only coordinator of %(projects)s. Appoint another coordinator "
                "before deleting your account."
            )
            % {"projects": names},
        )
        return _page(request, form, status=409)
    if not form.is_valid():
        return _page(request, form, status=400)
    user = request.user
    logout(request)
    account_delete(user=user, keep_readings=form.cleaned_data["readings"] == "keep")
    messages.success(request, _("Your account and your personal data have been deleted."))
    return redirect("projects:home")
