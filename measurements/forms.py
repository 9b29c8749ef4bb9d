"""Forms of the measurement pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from measurements.location import location_is_valid
from measurements.models import Quantity, Sensor
from projects.choices import MembershipState
from projects.models import Project


class SensorForm(forms.ModelForm):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())

    class Meta:
        model = Sensor
        fields = [
            "project",
            "name",
            "kit",
            "lat",
            "lon",
            "location_precision",
            "indoor",
            "height_m",
            "sensor_community_id",
            "opensensemap_id",
        ]
        widgets = {
            "lat": forms.NumberInput(attrs={"step": "any"}),
            "lon": forms.NumberInput(attrs={"step": "any"}),
            "location_precision": forms.RadioSelect,
        }
        help_texts = {
            "lat": _(
                "Click the map to fill in the location; "
                "it is never published exactly unless you choose so."
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.filter(
            memberships__user=user, memberships__state=MembershipState.ACTIVE
        ).distinct()

    def clean(self):
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        if lat is not None and lon is not None and not location_is_valid(lat, lon):
            raise forms.ValidationError(
                _("Give a location within ±90° latitude and ±180° longitude, and not (0, 0).")
            )
        return data


class ReadingForm(forms.Form):
    quantity = forms.ModelChoiceField(
        label=_("Quantity"), queryset=Quantity.objects.all(), to_field_name="code"
    )
    time = forms.DateTimeField(
        label=_("Time"),
        help_text=_("In your local time (Europe/Amsterdam)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    value = forms.FloatField(label=_("Value"))
    unit = forms.CharField(
        label=_("Unit"),
        required=False,
        max_length=20,
        help_text=_("Leave empty for the quantity's standard unit; e.g. °F or Pa are converted."),
    )
