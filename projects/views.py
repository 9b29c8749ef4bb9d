"""Catalogue pages: function views, access check at the top, one service call per write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citimeasure.privacy import CONSENT_VERSIONS
from measurements.selectors import project_sensor_map
from projects import presenters_scores, services
from projects.choices import LANGUAGE_NAMES, MembershipState, Role
from projects.filters import ProjectFilter
from projects.forms import ProjectForm, QuestionnaireForm, RejectForm
from projects.models import City, Membership, Project, user_is_moderator
from projects.presenters import project_map_features


def _visible_project(request, slug: str) -> Project:
    """The project if the user may see it; 404 otherwise, so outsiders learn nothing."""
    return get_object_or_404(Project.objects.visible_to(request.user), slug=slug)


def _editable_project(request, slug: str) -> Project:
    project = _visible_project(request, slug)
    if not project.is_editable_by(request.user):
        raise PermissionDenied
    return project


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def home(request):
    projects = (
        Project.objects.visible_to(request.user).published().prefetch_related("cities", "themes")
    )
    numbers = {
        "projects": projects.count(),
        "cities": City.objects.filter(projects__in=projects).distinct().count(),
        "countries": City.objects.filter(projects__in=projects)
        .values("country")
        .distinct()
        .count(),
    }
    recent = projects.order_by("-published_at", "title")[:6]
    return render(
        request,
        "projects/home.html",
        {
            "numbers": numbers,
            "recent": recent,
            "features": project_map_features(projects),
        },
    )


def catalogue(request):
    base = Project.objects.visible_to(request.user)
    filterset = ProjectFilter(request.GET or None, queryset=base)
    if filterset.is_bound and not filterset.is_valid():
        projects = base.none()
    else:
        projects = filterset.qs if filterset.is_bound else base.order_by("title")
    projects = projects.prefetch_related("cities", "themes")
    page = Paginator(projects, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/catalogue.html",
        {
            "filter": filterset if filterset.is_bound else ProjectFilter(queryset=base),
            "page": page,
            "count": page.paginator.count,
            "query": query.urlencode(),
            "features": project_map_features(page.object_list),
        },
    )


def project_detail(request, slug: str):
    project = _visible_project(request, slug)
    role = project.role_of(request.user)
    membership = (
        project.memberships.filter(user=request.user).first()
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "projects/detail.html",
        {
            **presenters_scores.project_score_context(project, user=request.user),
            "sensor_map": project_sensor_map(project, request.user, request.GET.get("quantity")),
            "project": project,
            "role": role,
            "membership": membership,
            "can_edit": project.is_editable_by(request.user),
            "readings_open": project.readings_open_to(request.user),
            "is_moderator": user_is_moderator(request.user),
            "member_count": project.memberships.active().count(),
            "questionnaire": (
                QuestionnaireForm(initial={"age_band": membership.age_band})
                if membership and membership.state == MembershipState.ACTIVE
                else None
            ),
            "features": project_map_features([project]),
            "languages_offered_text": ", ".join(
                str(LANGUAGE_NAMES.get(code, code)) for code in project.languages_offered
            ),
            "self_assessment": [
                (Project._meta.get_field(name).verbose_name, answer)
                for name, answer in project.self_assessment().items()
            ],
        },
    )


@login_required
def project_create(request):
    if not services.user_can_contribute(request.user):
        messages.error(request, _("Verify your e-mail address before starting a project."))
        return redirect("account_email")
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(
            actor=request.user,
            data=form.content(),
            themes=form.cleaned_data["themes"],
            cities=form.cleaned_data["cities"],
        )
        messages.success(request, _("Draft saved. Submit it for moderation when it is ready."))
        return redirect(project)
    return render(request, "projects/form.html", {"form": form, "creating": True})


@login_required
def project_edit(request, slug: str):
    project = _editable_project(request, slug)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        services.project_update(
            actor=request.user,
            project=project,
            data=form.content(),
            themes=form.cleaned_data["themes"],
            cities=form.cleaned_data["cities"],
        )
        messages.success(request, _("Changes saved."))
        return redirect(project)
    return render(request, "projects/form.html", {"form": form, "project": project})


@login_required
@require_POST
def project_submit(request, slug: str):
    project = _visible_project(request, slug)
    try:
        services.project_submit(actor=request.user, project=project)
        messages.success(request, _("Submitted. A moderator will review the project."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(project)


@login_required
@require_POST
def project_publish(request, slug: str):
    project = _visible_project(request, slug)
    try:
        services.project_publish(actor=request.user, project=project)
        messages.success(request, _("Published."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("projects:moderation")


@login_required
def project_reject(request, slug: str):
    project = _visible_project(request, slug)
    if not user_is_moderator(request.user):
        raise PermissionDenied
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_reject(
                actor=request.user, project=project, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Rejected; the coordinators were told why."))
            return redirect("projects:moderation")
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    return render(request, "projects/reject.html", {"project": project, "form": form})


@login_required
@require_POST
def project_join(request, slug: str):
    project = _visible_project(request, slug)
    if not request.POST.get("consent"):
        messages.error(request, _("Agree to how the project uses your data before joining."))
        return redirect(project)
    try:
        services.membership_request(
            actor=request.user, project=project, consent_version=CONSENT_VERSIONS["join"]
        )
        messages.success(request, _("Your request was sent to the coordinators."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(project)


@login_required
def project_members(request, slug: str):
    """Coordinators accept requests, change roles and remove members."""
    project = _visible_project(request, slug)
    if project.role_of(request.user) != Role.COORDINATOR and not user_is_moderator(request.user):
        raise PermissionDenied
    if request.method == "POST":
        membership = get_object_or_404(
            Membership, pk=request.POST.get("membership"), project=project
        )
        action = request.POST.get("action")
        try:
            if action == "accept":
                services.membership_accept(actor=request.user, membership=membership)
            elif action in ("make-coordinator", "make-participant"):
                role = Role.COORDINATOR if action == "make-coordinator" else Role.PARTICIPANT
                services.membership_set_role(actor=request.user, membership=membership, role=role)
            elif action == "remove":
                services.membership_remove(actor=request.user, membership=membership)
            else:
                messages.error(request, _("Unknown action."))
                return redirect("projects:members", slug=slug)
            messages.success(request, _("Members updated."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("projects:members", slug=slug)
    members = project.memberships.select_related("user").order_by("state", "role", "user__email")
    return render(request, "projects/members.html", {"project": project, "members": members})


@login_required
@require_POST
def project_questionnaire(request, slug: str):
    """A member answers (or changes) the anonymous age-band question."""
    project = _visible_project(request, slug)
    form = QuestionnaireForm(request.POST)
    if form.is_valid():
        try:
            services.questionnaire_answer(
                actor=request.user, project=project, age_band=form.cleaned_data["age_band"]
            )
            messages.success(request, _("Thank you, your answer was saved."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    else:
        messages.error(request, _("Choose one of the age bands."))
    return redirect(project)


@login_required
def my_projects(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("project")
        .order_by("project__title")
    )
    return render(
        request,
        "projects/mine.html",
        {
            "memberships": memberships,
            "can_contribute": services.user_can_contribute(request.user),
        },
    )


@login_required
def moderation(request):
    if not user_is_moderator(request.user):
        raise Http404
    queue = Project.objects.awaiting_moderation().prefetch_related("cities", "themes")
    return render(
        request, "projects/moderation.html", {"queue": queue, "reject_form": RejectForm()}
    )


def city_list(request):
    visible = Project.objects.visible_to(request.user).published()
    cities = City.objects.annotate(
        project_count=Count("projects", filter=Q(projects__in=visible), distinct=True),
        neighbourhood_count=Count("neighbourhoods", distinct=True),
    ).order_by("country", "name")
    return render(request, "projects/cities.html", {"cities": cities})


def city_detail(request, slug: str):
    city = get_object_or_404(City, slug=slug)
    projects = (
        Project.objects.visible_to(request.user)
        .published()
        .filter(cities=city)
        .prefetch_related("themes")
    )
    neighbourhoods = city.neighbourhoods.all()
    stats = presenters_scores.latest_city_stats(cities=[city])
    stat = stats[0] if stats else None
    return render(
        request,
        "projects/city.html",
        {
            "city": city,
            "projects": projects,
            "neighbourhoods": neighbourhoods,
            "synthetic": neighbourhoods.filter(synthetic=True).exists(),
            "features": project_map_features(projects),
            "stat": stat,
            "equity": presenters_scores.city_equity(stat),
            "choropleth": presenters_scores.city_choropleth(city, stat),
        },
    )
