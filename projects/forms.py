from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.choices import LANGUAGE_NAMES, AgeBand
from projects.models import (
    PROJECT_CONTENT_FIELDS,
    PROJECT_PROFILE_FIELDS,
    SELF_ASSESSMENT_FIELDS,
    City,
    Project,
    ThemeTag,
    project_problems,
)


class ProjectForm(forms.ModelForm):
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"), queryset=ThemeTag.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    cities = forms.ModelMultipleChoiceField(
        label=_("Cities"),
        queryset=City.objects.all(),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
    )
    languages_offered = forms.MultipleChoiceField(
        label=_("Languages offered to participants"),
        required=False,
        choices=sorted(LANGUAGE_NAMES.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Project
        fields = [*PROJECT_CONTENT_FIELDS, *PROJECT_PROFILE_FIELDS, *SELF_ASSESSMENT_FIELDS]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            **{name: forms.NullBooleanSelect for name in SELF_ASSESSMENT_FIELDS},
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in [
                    "goal",
                    "what_is_measured",
                    "sensor_kits",
                    "role_residents",
                    "role_municipality",
                    "costs",
                    "results_return",
                    "policy_impact",
                ]
            },
        }

    def clean(self):
        data = super().clean()
        themes = data.get("themes")
        problems = project_problems(
            theme_codes=None if themes is None else [t.code for t in themes],
            primary_theme=data.get("primary_theme"),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return data

    def content(self) -> dict:
        """The cleaned fields that are plain columns (themes and cities are set separately)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("themes", "cities")}


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the coordinators: say what must change."),
    )


class QuestionnaireForm(forms.Form):
    age_band = forms.ChoiceField(
        label=_("Your age"),
        required=False,
        choices=[("", _("I prefer not to say"))] + list(AgeBand.choices),
        help_text=_(
            "Optional and anonymous: only the project's totals are shown, and only to its "
            "members once at least 10 people answered. It shows whether the project reaches "
            "every age group of the city."
        ),
    )
