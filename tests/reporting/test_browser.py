"""In real Chromium, the issue's "done when": from a new incident to a signed, numbered 首报 in
Word and PDF, with the first-report deadline shown as met."""

from __future__ import annotations

import os

import pytest
from docx import Document as WordDocument
from playwright.sync_api import expect
from pypdf import PdfReader

from incidents.choices import DeadlineKind, Grade, Role
from reporting.models import Report
from tests.browser.conftest import browser, login, page  # noqa: F401  (fixtures)
from tests.factories import make_incident, make_user

PASSWORD = "报告-pw-2026"
SHOTS = os.environ.get("REPORTING_SCREENSHOTS")  # a folder: keep screenshots for a look


def shot(tab, name: str) -> None:
    if SHOTS:
        tab.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_from_new_incident_to_signed_numbered_first_report(login, live_server):  # noqa: F811
    officer = make_user(Role.DUTY_OFFICER, username="zhiban-r", first_name="值班员丙")
    officer.set_password(PASSWORD)
    officer.save()
    make_user(Role.LEADERSHIP, username="lingdao", first_name="王", last_name="主任")
    incident = make_incident(actor=officer, grade=Grade.MAJOR, first_outlet="抖音")

    tab = login("zhiban-r", PASSWORD)
    tab.goto(f"{live_server.url}/incidents/{incident.pk}/")
    panel = tab.locator("#reports")
    expect(panel).to_contain_text("上报报告")
    with tab.expect_navigation():
        panel.locator("button", has_text="新建首报").click()

    # The draft, prefilled; submitting with gaps names each missing field beside it.
    expect(tab.locator("#id_title")).to_have_value(incident.title)
    expect(tab.locator("#id_first_outlet")).to_have_value("抖音")
    with tab.expect_navigation():
        tab.click("button[value=submit]")
    # The eight source fields less the prefilled 基本内容 and 首发媒体, plus 签发人 and 报.
    expect(tab.locator(".has-error")).to_have_count(8)
    expect(tab.locator(".errorlist").first).to_contain_text("必须填写")
    shot(tab, "edit-errors")

    tab.fill("#id_first_published_at", "2026-03-05T14:20")
    tab.fill("#id_first_url", "https://www.douyin.com/video/2026")
    tab.fill("#id_spread", "相关视频播放量超过10万次。")
    tab.fill("#id_facts", "经核查，扶梯因故障停运，无人员伤亡。")
    tab.fill("#id_background", "该站扶梯上月完成检修。")
    tab.fill("#id_attachments", "1. 视频截图")
    tab.select_option("#id_signer", label="王 主任")
    tab.fill("#id_report_to", "市委网信办")
    tab.fill("#id_copies", "5")
    with tab.expect_navigation():
        tab.click("button[value=submit]")

    report = Report.objects.get(incident=incident)
    assert report.status == "submitted" and report.number == 1
    assert incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT).met_at is not None
    expect(tab.locator(".messages")).to_contain_text("第1期")
    expect(tab.locator(".official h1")).to_have_text(f"关于{incident.title}舆情的首报")
    expect(tab.locator(".official")).to_contain_text("签发人：王 主任")
    expect(tab.locator(".official")).to_contain_text("首发时间：2026年3月5日14时20分")
    expect(tab.locator(".no-print")).to_contain_text("按时报送")
    shot(tab, "document")

    with tab.expect_download() as info:
        tab.click("text=下载Word")
    word = WordDocument(str(info.value.path()))
    assert any("第1期" in p.text for p in word.paragraphs)
    with tab.expect_download() as info:
        tab.click("text=下载PDF")
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(info.value.path()).pages)
    assert "签发人：王主任" in text and "2026年3月5日14时20分" in text

    # Back on the incident tab: the report is listed and a 续报 is due next (重大).
    tab.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(tab.locator("#reports")).to_contain_text("2026年第1期")
    expect(tab.locator("#reports button", has_text="新建续报")).to_be_visible()
    shot(tab, "incident")
