from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("incidents/new/", views.IncidentCreateView.as_view(), name="create"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("incidents/<int:pk>/edit/", views.IncidentUpdateView.as_view(), name="edit"),
    path("incidents/<int:pk>/deadlines/", views.IncidentDeadlinesView.as_view(), name="deadlines"),
    path("incidents/<int:pk>/regrade/", views.IncidentRegradeView.as_view(), name="regrade"),
    path("incidents/<int:pk>/transition/", views.IncidentTransitionView.as_view(), name="transition"),
    path("incidents/<int:pk>/attachments/", views.AttachmentAddView.as_view(), name="attachment_add"),
]
