"""The default escalation policy and what each role may do with alerts."""

from datetime import timedelta

from django.db import migrations

from incidents.roles import grant

STAGES = [
    ("t-30", "到期前30分钟", timedelta(minutes=-30), None, "owner"),
    ("t-10", "到期前10分钟", timedelta(minutes=-10), None, "unit_head"),
    ("due", "到期及此后每30分钟", timedelta(0), timedelta(minutes=30), "leadership"),
]

GRANTS = {
    "值班员": ["alerts.view_alert", "alerts.acknowledge_alert"],
    "监测员": ["alerts.view_alert"],
    "领导小组": ["alerts.view_alert", "alerts.acknowledge_alert"],
    "管理员": [
        "alerts.view_alert",
        "alerts.acknowledge_alert",
        "alerts.view_escalationpolicy",
        "alerts.add_escalationpolicy",
        "alerts.change_escalationpolicy",
        "alerts.view_escalationstage",
        "alerts.add_escalationstage",
        "alerts.change_escalationstage",
        "alerts.delete_escalationstage",
        "alerts.view_channel",
        "alerts.add_channel",
        "alerts.change_channel",
        "alerts.delete_channel",
        "alerts.view_notification",
        "alerts.view_deliveryattempt",
        "alerts.view_sweepheartbeat",
    ],
}


def forwards(apps, schema_editor):
    Policy = apps.get_model("alerts", "EscalationPolicy")
    Stage = apps.get_model("alerts", "EscalationStage")
    policy, created = Policy.objects.get_or_create(name="默认升级策略", defaults={"is_active": True})
    if created:
        for code, name, offset, repeat, audience in STAGES:
            Stage.objects.create(
                policy=policy, code=code, name=name, offset=offset, repeat_every=repeat, audience=audience
            )
    grant(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("incidents", "0002_defaults"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
