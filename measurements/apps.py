from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MeasurementsConfig(AppConfig):
    name = "measurements"
    verbose_name = _("Measurements")

    def ready(self) -> None:
        from measurements.models import Quantity
        from measurements.registry import quantity_changed

        post_save.connect(quantity_changed, sender=Quantity, dispatch_uid="registry-save")
        post_delete.connect(quantity_changed, sender=Quantity, dispatch_uid="registry-delete")
