"""`make run`'s first-start step: one administrator, demo data once, DEMO=0 skips it."""

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.choices import DeadlineKind, Role
from incidents.models import Deadline, Incident, User
from monitoring.selectors import incident_spread_summary

pytestmark = pytest.mark.django_db


def run_bootstrap(monkeypatch, demo: str = "1") -> str:
    monkeypatch.setenv("DEMO", demo)
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_first_start_creates_admin_prints_password_once_and_loads_demo(monkeypatch):
    first = run_bootstrap(monkeypatch)
    admin = User.objects.get(username="admin")
    password = next(line.split(":", 1)[1].strip() for line in first.splitlines() if "password:" in line)
    assert admin.is_superuser and admin.check_password(password)
    assert {g.name for g in admin.groups.all()} == set(Role.values)
    assert Incident.objects.count() == 4
    # The demo is live: a first report due within the half hour, one overdue, one met on time.
    open_first = Deadline.objects.open().filter(kind=DeadlineKind.FIRST_REPORT)
    assert any(d.is_overdue() for d in open_first)
    met = Deadline.objects.filter(met_at__isnull=False).get()
    assert met.minutes_late == 0
    water = Incident.objects.get(reference__endswith="0001")
    assert incident_spread_summary(water)["total"] == 48

    again = run_bootstrap(monkeypatch)
    assert "password" not in again
    assert User.objects.filter(is_superuser=True).count() == 1
    assert Incident.objects.count() == 4


def test_demo_0_skips_demo_data(monkeypatch):
    out = run_bootstrap(monkeypatch, demo="0")
    assert "password" in out
    assert not Incident.objects.exists()
