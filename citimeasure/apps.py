from django.apps import AppConfig


class CitimeasureConfig(AppConfig):
    name = "citimeasure"
    verbose_name = "CitiMeasure"

    def ready(self):
        from citimeasure import schema  # noqa: F401  (registers the OpenAPI auth extension)

    def ready(self) -> None:
        # Registers the OpenAPI description of token authentication.
        from citimeasure import schema  # noqa: F401
