"""Defaults a fresh install needs: 本单位, the four roles, and the grade policy."""

from datetime import timedelta

from django.db import migrations

from incidents.roles import grant

ROLES = ["值班员", "监测员", "领导小组", "管理员"]

GRANTS = {
    "值班员": [
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.regrade_incident",
        "incidents.transition_incident",
        "incidents.view_incidentattachment",
        "incidents.add_incidentattachment",
    ],
    "监测员": ["incidents.view_incident", "incidents.view_incidentattachment"],
    "领导小组": [
        "incidents.view_incident",
        "incidents.regrade_incident",
        "incidents.transition_incident",
        "incidents.view_incidentattachment",
    ],
    "管理员": [
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.regrade_incident",
        "incidents.transition_incident",
        "incidents.view_incidentattachment",
        "incidents.add_incidentattachment",
        "incidents.view_gradepolicy",
        "incidents.change_gradepolicy",
        "incidents.view_unit",
        "incidents.add_unit",
        "incidents.change_unit",
        "incidents.view_user",
        "incidents.add_user",
        "incidents.change_user",
    ],
}

POLICIES = [
    ("especially_major", timedelta(hours=2), timedelta(hours=4)),
    ("major", timedelta(hours=2), timedelta(hours=8)),
    ("larger", timedelta(hours=3), None),
    ("general", timedelta(hours=4), None),
]


def forwards(apps, schema_editor):
    Unit = apps.get_model("incidents", "Unit")
    Unit.objects.get_or_create(code="default", defaults={"name": "本单位"})
    GradePolicy = apps.get_model("incidents", "GradePolicy")
    for grade, window, cadence in POLICIES:
        GradePolicy.objects.get_or_create(
            grade=grade, defaults={"report_window": window, "follow_up_cadence": cadence, "basis": "occurred"}
        )
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    grant(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
