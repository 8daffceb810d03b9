from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from monitoring.models import ClientKey, MonitoringClient

pytestmark = pytest.mark.django_db


def test_command_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash() -> None:
    out, err = StringIO(), StringIO()
    call_command("monitoring_client_create", "某监测系统", "--rate", "600/min", stdout=out, stderr=err)
    key = out.getvalue().strip().splitlines()[-1]
    assert "." in key and " " not in key
    stored = ClientKey.objects.get()
    assert stored.client.name == "某监测系统" and stored.client.rate == "600/min"
    assert key not in stored.hashed_key and key not in stored.id
    assert stored.is_valid(key)
    assert "Api-Key" in err.getvalue()


def test_command_refuses_a_duplicate_name_or_bad_rate() -> None:
    call_command("monitoring_client_create", "甲", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("monitoring_client_create", "甲", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("monitoring_client_create", "乙", "--rate", "fast", stdout=StringIO(), stderr=StringIO())
    assert MonitoringClient.objects.count() == 1


def test_admin_creates_client_and_shows_key_once(unit) -> None:  # type: ignore[no-untyped-def]
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/monitoring/monitoringclient/add/",
        {
            "name": "后台创建",
            "description": "",
            "is_active": "on",
            "rate": "",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
            "keys-MIN_NUM_FORMS": "0",
            "keys-MAX_NUM_FORMS": "1000",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    key_obj = ClientKey.objects.get(client__name="后台创建")
    assert any(key_obj.prefix in m for m in shown), shown
    page = browser.get(f"/admin/monitoring/monitoringclient/{key_obj.client_id}/change/").content.decode()
    assert key_obj.prefix in page
    key = next(
        re.search(rf"{re.escape(key_obj.prefix)}\.[A-Za-z0-9]+", m) for m in shown if key_obj.prefix in m
    )
    assert key is not None and key_obj.is_valid(key.group(0))
    assert key.group(0) not in page  # shown once, never again
