"""Defaults a fresh install needs: who may write, submit and sign reports, the required fields
per kind and grade (editable in the admin), and the guard that keeps submitted reports as
they were sent."""

from django.db import migrations

from incidents.roles import grant

GRANTS = {
    "值班员": [
        "reporting.view_report",
        "reporting.add_report",
        "reporting.change_report",
        "reporting.submit_report",
    ],
    "监测员": ["reporting.view_report"],
    "领导小组": [
        "reporting.view_report",
        "reporting.add_report",
        "reporting.change_report",
        "reporting.submit_report",
        "reporting.sign_report",
    ],
    "管理员": [
        "reporting.view_report",
        "reporting.add_report",
        "reporting.change_report",
        "reporting.submit_report",
        "reporting.sign_report",
        "reporting.view_requiredfieldset",
        "reporting.add_requiredfieldset",
        "reporting.change_requiredfieldset",
        "reporting.delete_requiredfieldset",
    ],
}

SOURCE = ["summary", "first_published_at", "first_outlet", "first_url", "spread", "facts", "background", "attachments"]
FOLLOW_UP_MAJOR = ["facts", "trend_assessment", "measures", "suggestions"]
REQUIRED = [
    ("first", "", SOURCE),
    ("follow_up", "", ["facts"]),
    ("follow_up", "major", FOLLOW_UP_MAJOR),
    ("follow_up", "especially_major", FOLLOW_UP_MAJOR),
    ("final", "", ["outcome", "assessment"]),
]

# A submitted report is an official document that has left the building: the database itself
# refuses to change or delete it (SQLSTATE 23000, so Django raises IntegrityError).
PG_GUARD = """
CREATE OR REPLACE FUNCTION reporting_report_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'submitted' THEN
        RAISE EXCEPTION 'report % is submitted and cannot be changed; write a correction', OLD.id
            USING ERRCODE = '23000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS reporting_report_immutable ON reporting_report;
CREATE TRIGGER reporting_report_immutable BEFORE UPDATE OR DELETE ON reporting_report
    FOR EACH ROW EXECUTE FUNCTION reporting_report_immutable();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS reporting_report_immutable ON reporting_report;
DROP FUNCTION IF EXISTS reporting_report_immutable();
"""
SQLITE_GUARD = [
    """CREATE TRIGGER IF NOT EXISTS reporting_report_immutable_update BEFORE UPDATE ON reporting_report
       WHEN OLD.status = 'submitted'
       BEGIN SELECT RAISE(ABORT, 'report is submitted and cannot be changed; write a correction'); END""",
    """CREATE TRIGGER IF NOT EXISTS reporting_report_immutable_delete BEFORE DELETE ON reporting_report
       WHEN OLD.status = 'submitted'
       BEGIN SELECT RAISE(ABORT, 'report is submitted and cannot be changed; write a correction'); END""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS reporting_report_immutable_update",
    "DROP TRIGGER IF EXISTS reporting_report_immutable_delete",
]


def forwards(apps, schema_editor):
    RequiredFieldSet = apps.get_model("reporting", "RequiredFieldSet")
    for kind, grade, fields in REQUIRED:
        RequiredFieldSet.objects.get_or_create(kind=kind, grade=grade, defaults={"fields": fields})
    grant(apps, schema_editor, GRANTS)


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_GUARD:
            schema_editor.execute(sql)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_UNGUARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("incidents", "0002_defaults"),
    ]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
