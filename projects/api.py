"""Projects and cities over REST. Same access rule and same FilterSet as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from projects import services
from projects.filters import ProjectFilter
from projects.models import (
    PROJECT_CONTENT_FIELDS,
    PROJECT_PROFILE_FIELDS,
    SELF_ASSESSMENT_FIELDS,
    City,
    Project,
    ThemeTag,
    project_problems,
)


def optional_url(**kwargs) -> serializers.CharField:
    """A URL that may be empty: validated as a URL when given, documented as a plain string
    (an empty string is not a valid `format: uri`, and we do not invent nulls)."""
    return serializers.CharField(
        max_length=500, required=False, allow_blank=True, validators=[URLValidator()], **kwargs
    )


class CitySerializer(serializers.ModelSerializer):
    source = optional_url(read_only=True)

    class Meta:
        model = City
        fields = [
            "slug",
            "name",
            "country",
            "lat",
            "lon",
            "population",
            "population_year",
            "source",
        ]


class ProjectSerializer(serializers.ModelSerializer):
    themes = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=ThemeTag.objects.all()
    )
    cities = serializers.SlugRelatedField(many=True, slug_field="slug", queryset=City.objects.all())
    url = serializers.HyperlinkedIdentityField(view_name="project-detail", lookup_field="slug")
    page = serializers.SerializerMethodField()
    member_count = serializers.SerializerMethodField()
    website = optional_url()
    source = optional_url(read_only=True)
    languages_offered = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False
    )

    class Meta:
        model = Project
        fields = [
            "url",
            "page",
            "slug",
            *PROJECT_CONTENT_FIELDS,
            "source",
            "moderation",
            "rejection_reason",
            "published_at",
            "member_count",
            *PROJECT_PROFILE_FIELDS,
            *SELF_ASSESSMENT_FIELDS,
        ]
        read_only_fields = ["slug", "moderation", "rejection_reason", "published_at", "source"]

    def get_page(self, project) -> str:
        return self.context["request"].build_absolute_uri(project.get_absolute_url())

    def get_member_count(self, project) -> int:
        return project.memberships.active().count()

    def validate_themes(self, value):
        if not value:
            raise serializers.ValidationError("Choose at least one theme.")
        return value

    def validate_cities(self, value):
        if not value:
            raise serializers.ValidationError("Choose at least one city.")
        return value

    def validate(self, attrs):
        def current(name, default=None):
            return attrs.get(name, getattr(self.instance, name, default))

        themes = attrs.get("themes", self.instance.themes.all() if self.instance else [])
        problems = project_problems(
            theme_codes=[t.code for t in themes],
            primary_theme=current("primary_theme"),
            start_date=current("start_date"),
            end_date=current("end_date"),
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Sent to the coordinators: what must change.")


def _call(service, **kwargs):
    """Run a service, turning Django's errors into the API's 400/403."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from None
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise exceptions.ValidationError(detail) from None


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Initiatives. Anyone reads published projects; members and moderators also see the others.

    Unpublished projects of others answer 404, exactly as if they did not exist.
    """

    serializer_class = ProjectSerializer
    lookup_field = "slug"
    filterset_class = ProjectFilter
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .order_by("title")
            .prefetch_related("themes", "cities", "memberships")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        themes, cities = data.pop("themes"), data.pop("cities")
        serializer.instance = _call(
            services.project_create,
            actor=self.request.user,
            data=data,
            themes=themes,
            cities=cities,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        themes, cities = data.pop("themes", None), data.pop("cities", None)
        serializer.instance = _call(
            services.project_update,
            actor=self.request.user,
            project=serializer.instance,
            data=data,
            themes=themes,
            cities=cities,
        )

    def _command(self, service, **kwargs):
        project = self.get_object()
        project = _call(service, actor=self.request.user, project=project, **kwargs)
        return Response(self.get_serializer(project).data)

    @extend_schema(request=None, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, slug=None):
        """Send a draft or rejected project to the moderators (coordinators)."""
        return self._command(services.project_submit)

    @extend_schema(request=None, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        """Publish a submitted project (moderators)."""
        return self._command(services.project_publish)

    @extend_schema(request=RejectSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, slug=None):
        """Reject a submitted project with a reason (moderators)."""
        self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._command(services.project_reject, reason=body.validated_data["reason"])


class CityViewSet(viewsets.ReadOnlyModelViewSet):
    """Cities, with their neighbourhoods as GeoJSON."""

    queryset = City.objects.all()
    serializer_class = CitySerializer
    lookup_field = "slug"
    filterset_fields = ["country"]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                response=inline_serializer(
                    "FeatureCollection",
                    {"type": serializers.CharField(), "features": serializers.ListField()},
                ),
                description="GeoJSON FeatureCollection of the city's neighbourhoods",
            )
        }
    )
    @action(detail=True, pagination_class=None, filter_backends=[])
    def neighbourhoods(self, request, slug=None):
        city = get_object_or_404(City, slug=slug)
        features = [
            {
                "type": "Feature",
                "geometry": n.boundary,
                "properties": {
                    "code": n.code,
                    "name": n.name,
                    "population": n.population,
                    "mean_income": n.mean_income,
                    "age_0_24": n.age_0_24,
                    "age_25_44": n.age_25_44,
                    "age_45_64": n.age_45_64,
                    "age_65_plus": n.age_65_plus,
                    "synthetic": n.synthetic,
                },
            }
            for n in city.neighbourhoods.all()
        ]
        return Response({"type": "FeatureCollection", "features": features})
