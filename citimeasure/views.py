"""Account pages of our own: personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citimeasure.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy("What the token is for, e.g. 'upload script'.")
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
    response = render(request, "account/tokens.html", {"form": form, "tokens": rows, "new_token": new_token})
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    row = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
    row.revoke()
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": row.name})
    return redirect("tokens")
