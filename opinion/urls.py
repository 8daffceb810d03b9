from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alerts import views as alerts_views

api_v1 = [
    path("", include("incidents.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("healthz", alerts_views.healthz, name="healthz"),
    path("", include("incidents.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("alerts/", include("alerts.urls")),
    path("reports/", include("reporting.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
