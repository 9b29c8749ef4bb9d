"""Account pages of our own: personal API tokens, and the admin's way in through the site login."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citimeasure.models import ApiToken
from citimeasure.views_privacy import account_delete_view, privacy, privacy_export  # noqa: F401


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. 'upload script'."),
    )


@login_required
def tokens(request):
    """List the user's API tokens; create one (its secret is shown on this response only)."""
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _row, new_token = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    response = render(
        request, "account/tokens.html", {"form": form, "tokens": rows, "new_token": new_token}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    row = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
    row.revoke()
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": row.name})
    return redirect("tokens")


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Replace the admin's own login form, which would skip e-mail login, TOTP and rate limits.

    Wrapped in `login_required` in urls.py, so visitors arrive here only after the site login
    (with its two-factor stage). Staff continue to the admin; anyone else is refused: the admin
    form must never be offered, or a signed-in resident could use it to sign in as staff with
    a password alone.
    """
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect(target)
