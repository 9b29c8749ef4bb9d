"""Account pages of our own: personal API tokens, and the admin's way in through the site login."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citimeasure.audit import audit_record
from citimeasure.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. 'upload script'."),
    )


@transaction.atomic
def token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """Issue a personal token and leave a trace in the audit log (never the secret)."""
    row, secret = ApiToken.issue(user=actor, name=name)
    audit_record(
        actor=actor, action="token.create", obj=row, summary=row.name, data={"prefix": row.prefix}
    )
    return row, secret


@transaction.atomic
def token_revoke_by(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a personal token, with an audit event in the same transaction."""
    token.revoke()
    audit_record(
        actor=actor,
        action="token.revoke",
        obj=token,
        summary=token.name,
        data={"prefix": token.prefix},
    )
    return token


@login_required
def tokens(request):
    """List the user's API tokens; create one (its secret is shown on this response only)."""
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _row, new_token = token_create(actor=request.user, name=form.cleaned_data["name"])
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
    token_revoke_by(actor=request.user, token=row)
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


AUDIT_PAGE_SIZE = 50


def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, for moderators only (404 for everyone else, so the page
    does not even admit to existing). `?action=` narrows it to one kind of event."""
    from django.core.paginator import Paginator
    from django.http import Http404

    from citimeasure.models import AuditEvent
    from projects.models import user_is_moderator

    if not user_is_moderator(request.user):
        raise Http404
    actions = list(
        AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    )
    events = AuditEvent.objects.select_related("actor")
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "audit/log.html",
        {"page": page, "actions": actions, "action": action},
    )
    response.headers["Cache-Control"] = "no-store"
    return response
