from django.urls import path

from projects import views_scores

app_name = "scores"

urlpatterns = [
    path("method/", views_scores.method, name="method"),
    path("compare/", views_scores.compare, name="compare"),
    path("cities/", views_scores.cities, name="cities"),
]
