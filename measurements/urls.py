from django.urls import path

from measurements import views

app_name = "measurements"

urlpatterns = [
    path("sensors/mine/", views.my_sensors, name="mine"),
    path("sensors/new/", views.sensor_create, name="sensor-create"),
    path("sensors/<int:pk>/", views.sensor_detail, name="sensor"),
    path("sensors/<int:pk>/readings/new/", views.reading_create, name="reading-create"),
]
