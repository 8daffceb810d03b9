from django.urls import path

from monitoring.api.views import (
    DetectionBatchView,
    IncidentKeywordRuleViewSet,
    IncidentSpreadView,
    RulesFeedView,
)

rules = IncidentKeywordRuleViewSet.as_view({"get": "list", "post": "create"})
rule = IncidentKeywordRuleViewSet.as_view({"patch": "partial_update"})

urlpatterns = [
    path("detections/", DetectionBatchView.as_view(), name="monitoring-detections"),
    path("keyword-rules/", RulesFeedView.as_view(), name="monitoring-rules-feed"),
    path("incidents/<int:incident_pk>/keyword-rules/", rules, name="monitoring-incident-rules"),
    path("incidents/<int:incident_pk>/keyword-rules/<int:pk>/", rule, name="monitoring-incident-rule"),
    path(
        "incidents/<int:incident_pk>/spread/", IncidentSpreadView.as_view(), name="monitoring-incident-spread"
    ),
]
