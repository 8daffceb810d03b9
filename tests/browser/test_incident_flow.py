"""In real Chromium: log in, log an incident in Chinese, land on its page and watch its clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import DeadlineKind, Role
from incidents.formats import format_cn
from incidents.models import Incident
from tests.factories import make_user

PASSWORD = "浏览器-pw-2026"


def beijing_minutes(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_log_an_incident_and_see_its_countdown(login, live_server):
    officer = make_user(Role.DUTY_OFFICER, username="zhiban", first_name="值班员乙")
    officer.set_password(PASSWORD)
    officer.save()

    page = login("zhiban", PASSWORD)
    # The list, in Chinese by default.
    expect(page.locator("h1")).to_have_text("舆情事件")
    page.click("text=登记舆情")
    expect(page.locator("h1")).to_have_text("登记舆情")

    # 重大: 2 h from the event. The event was 1 h 50 min ago, so about 10 minutes are left
    # (the countdown then shows seconds, and ticks visibly).
    now = timezone.now()
    page.fill("#id_title", "网传某地铁站扶梯故障致多人受伤")
    page.select_option("#id_grade", "major")
    page.select_option("#id_source", "monitoring")
    page.fill("#id_occurred_at", beijing_minutes(now - timedelta(hours=1, minutes=50)))
    page.fill("#id_discovered_at", beijing_minutes(now - timedelta(minutes=30)))
    page.fill("#id_summary", "短视频平台用户发布视频称地铁站扶梯突然倒行，多人摔倒受伤。")
    page.fill("#id_first_outlet", "抖音")
    page.fill("#id_first_url", "https://www.douyin.com/video/2026")
    with page.expect_navigation():
        page.click("form.incident-form button[type=submit]")

    incident = Incident.objects.get(title="网传某地铁站扶梯故障致多人受伤")
    assert page.url == f"{live_server.url}/incidents/{incident.pk}/"
    expect(page.locator("h1")).to_have_text("网传某地铁站扶梯故障致多人受伤")
    expect(page.locator(".messages")).to_contain_text(incident.reference)

    # The first-report deadline, with its due time in Beijing time and a live countdown.
    deadline = incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT)
    clock = page.locator(".clock", has_text="首报")
    expect(clock).to_contain_text(f"截止 {format_cn(deadline.due_at)}")
    countdown = clock.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"^剩余 \d+分\d+秒$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3_000)  # it ticks
    assert "overdue" not in (countdown.get_attribute("class") or "")

    # The timeline says who logged it, in Chinese.
    expect(page.locator("#timeline")).to_contain_text("值班员乙")
    expect(page.locator("#timeline")).to_contain_text("开始计时：首报")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overdue_countdown_is_red_and_english_switch_works(login, live_server):
    from tests.factories import make_incident

    officer = make_user(Role.DUTY_OFFICER, username="zhiban2")
    officer.set_password(PASSWORD)
    officer.save()
    now = timezone.now()
    incident = make_incident(
        actor=officer,
        title="逾期未报事件",
        grade="general",
        occurred_at=now - timedelta(hours=4, minutes=5),
        discovered_at=now - timedelta(hours=3),
    )

    page = login("zhiban2", PASSWORD)
    row = page.locator("tr", has_text="逾期未报事件")
    expect(row.locator(".countdown")).to_have_class(re.compile(r"\boverdue\b"))
    expect(row.locator(".countdown")).to_have_text(re.compile(r"^已超时 "))
    color = row.locator(".countdown").evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(198, 40, 40)"  # --red

    with page.expect_navigation():
        page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Incidents")
    page.click(f"text={incident.reference}")
    expect(page.locator(".clock", has_text="First report").locator(".countdown")).to_have_text(
        re.compile(r"^overdue by ")
    )
