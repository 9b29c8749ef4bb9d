"""CSV upload pages: the form, the progress page and the error report download.

The progress page shows a `<progress>` bar that `static/measurements/upload.js` updates by
polling `GET /api/v1/uploads/{id}/` every second (no inline script: strict CSP).
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from measurements.api_uploads import upload_as_dict, uploads_viewable_by
from measurements.uploads import UploadTooLarge, csv_upload_create
from projects.choices import MembershipState
from projects.models import Project


def _timezone_choices() -> list[tuple[str, str]]:
    return [("", gettext_lazy("None: every time carries its UTC offset"))] + [
        (name, name) for name in sorted(available_timezones())
    ]


class UploadForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=gettext_lazy("Project"))
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns: sensor,quantity,time,value and optionally unit, with a header line."
        ),
    )
    timezone = forms.ChoiceField(
        label=gettext_lazy("Time zone of times written without an offset"),
        required=False,
        choices=_timezone_choices,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.filter(
            memberships__user=user, memberships__state=MembershipState.ACTIVE
        ).distinct()
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"


@login_required
def upload_create(request):
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"project": Project.objects.filter(slug=request.GET.get("project")).first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            upload = csv_upload_create(
                actor=request.user,
                project=form.cleaned_data["project"],
                file=form.cleaned_data["file"],
                declared_timezone=form.cleaned_data["timezone"],
            )
        except UploadTooLarge as exc:
            form.add_error("file", exc.messages[0])
        except PermissionDenied as exc:
            form.add_error("project", str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("measurements:upload", pk=upload.pk)
    return render(
        request,
        "measurements/upload_form.html",
        {"form": form, "max_mb": settings.CSV_UPLOAD_MAX_BYTES // (1024 * 1024)},
    )


@login_required
def upload_detail(request, pk: int):
    upload = get_object_or_404(uploads_viewable_by(request.user).select_related("project"), pk=pk)
    return render(
        request,
        "measurements/upload_detail.html",
        {
            "upload": upload,
            "status": upload_as_dict(upload),
            "status_url": reverse("upload", args=[upload.pk]),
        },
    )


@login_required
def upload_errors(request, pk: int):
    """The per-row error report, always as a CSV download (never rendered by the browser)."""
    upload = get_object_or_404(uploads_viewable_by(request.user), pk=pk)
    if not upload.error_report:
        raise Http404(_("This upload has no error report yet."))
    try:
        handle = upload.error_report.open("rb")
    except FileNotFoundError:
        raise Http404(_("This upload has no error report yet.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"upload-{upload.pk}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
