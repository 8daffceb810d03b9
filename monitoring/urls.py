from django.urls import path

from monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("detections/", views.detections, name="detections"),
    path("incidents/<int:pk>/detections/", views.incident_detections, name="incident_detections"),
    path("incidents/<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("incidents/<int:pk>/rules/<int:rule_pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path(
        "incidents/<int:pk>/first-publication/",
        views.first_publication_accept,
        name="first_publication_accept",
    ),
]
