from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.catalogue, name="catalogue"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/mine/", views.my_projects, name="mine"),
    path("projects/moderation/", views.moderation, name="moderation"),
    path("projects/<slug:slug>/", views.project_detail, name="detail"),
    path("projects/<slug:slug>/edit/", views.project_edit, name="edit"),
    path("projects/<slug:slug>/submit/", views.project_submit, name="submit"),
    path("projects/<slug:slug>/publish/", views.project_publish, name="publish"),
    path("projects/<slug:slug>/reject/", views.project_reject, name="reject"),
    path("projects/<slug:slug>/join/", views.project_join, name="join"),
    path("projects/<slug:slug>/members/", views.project_members, name="members"),
    path("projects/<slug:slug>/questionnaire/", views.project_questionnaire, name="questionnaire"),
    path("cities/", views.city_list, name="cities"),
    path("cities/<slug:slug>/", views.city_detail, name="city"),
]
