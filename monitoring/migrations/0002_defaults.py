"""Defaults: the rules version row, the worsening policy, and what each role may do here."""

from django.db import migrations

from incidents.roles import grant

RULES = ["monitoring.view_keywordrule", "monitoring.add_keywordrule", "monitoring.change_keywordrule"]
SEE = ["monitoring.view_detection", "monitoring.view_trendhour"]

GRANTS = {
    "值班员": [*SEE, *RULES],
    "监测员": [*SEE, *RULES],
    "领导小组": [*SEE, "monitoring.view_keywordrule"],
    "管理员": [
        *SEE,
        *RULES,
        "monitoring.view_monitoringclient",
        "monitoring.add_monitoringclient",
        "monitoring.change_monitoringclient",
        "monitoring.view_clientkey",
        "monitoring.add_clientkey",
        "monitoring.change_clientkey",
        "monitoring.view_worseningpolicy",
        "monitoring.change_worseningpolicy",
    ],
}


def defaults(apps, schema_editor):
    apps.get_model("monitoring", "RulesVersion").objects.get_or_create(pk=1, defaults={"version": 1})
    WorseningPolicy = apps.get_model("monitoring", "WorseningPolicy")
    if not WorseningPolicy.objects.exists():
        WorseningPolicy.objects.create()
    grant(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial"), ("incidents", "0002_defaults")]

    operations = [migrations.RunPython(defaults, migrations.RunPython.noop)]
