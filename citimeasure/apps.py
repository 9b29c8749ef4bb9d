from django.apps import AppConfig


class CitimeasureConfig(AppConfig):
    name = "citimeasure"
    verbose_name = "CitiMeasure"

    def ready(self) -> None:
        from citimeasure import schema  # noqa: F401  (registers the OpenAPI auth extension)
