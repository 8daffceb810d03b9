from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/acknowledge/", views.alert_ack, name="acknowledge"),
    path("read/", views.mark_read, name="mark_read"),
    path("bell/", views.bell, name="bell"),
]
