from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("new/", views.ReportCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReportEditView.as_view(), name="edit"),
    path("<int:pk>/submit/", views.ReportSubmitView.as_view(), name="submit"),
    path("<int:pk>/correct/", views.ReportCorrectView.as_view(), name="correct"),
    path("<int:pk>/export/<str:fmt>/", views.ReportExportView.as_view(), name="export"),
]
