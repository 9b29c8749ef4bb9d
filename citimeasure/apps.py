from django.apps import AppConfig


class CitimeasureConfig(AppConfig):
    name = "citimeasure"
    verbose_name = "CitiMeasure"
