"""The browser views: list and filters, create/edit with per-field errors, regrade and status
forms, unit scoping (404), role permissions, panels and the language switch."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import panels as panel_registry
from incidents.choices import DeadlineKind, Grade, Role, Source, Status
from incidents.models import Incident, User
from incidents.services import incident_transition
from incidents.timeline import Actor
from tests.factories import make_incident, make_user

BEIJING = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def field_errors(response, name: str) -> str:
    """The error list rendered beside one field (empty string if none)."""
    match = re.search(rf'<ul class="errorlist" id="id_{name}_errors">(.*?)</ul>', html(response), re.S)
    return match.group(1) if match else ""


def local_input(value: datetime) -> str:
    """What a datetime-local input sends: Beijing wall-clock time, no offset."""
    return timezone.localtime(value, BEIJING).strftime("%Y-%m-%dT%H:%M")


def valid_post(**overrides: str) -> dict[str, str]:
    now = timezone.now()
    data = {
        "title": "网传某医院拒收急诊病人",
        "grade": Grade.MAJOR,
        "source": Source.MONITORING,
        "occurred_at": local_input(now - timedelta(minutes=40)),
        "discovered_at": local_input(now - timedelta(minutes=10)),
        "summary": "微博网友称某医院急诊科以床位已满为由拒收病人。",
        "first_published_at": "",
        "first_outlet": "新浪微博",
        "first_url": "https://weibo.com/example/1",
        "spread": "转发300余次。",
        "facts": "",
        "background": "",
        "warning_level": "",
        "response_level": "",
    }
    data.update(overrides)
    return data


# --- access -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("incidents:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_root_is_the_incident_list(duty_officer):
    assert reverse("incidents:list") == "/"
    response = client_for(duty_officer).get("/")
    assert response.status_code == 200
    assert "incidents/list.html" in [t.name for t in response.templates]


def test_login_page_renders_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "用户名" in html(response) and "密码" in html(response)


def test_login_lands_on_the_list(client, duty_officer):
    duty_officer.set_password("pw-123456-x")
    duty_officer.save()
    response = client.post(reverse("login"), {"username": "duty", "password": "pw-123456-x"})
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:list")


# --- list ---------------------------------------------------------------------------------


def test_list_shows_own_unit_only_with_a_countdown(duty_officer, other_unit):
    mine = make_incident(actor=duty_officer, title="本单位事件")
    make_incident(unit=other_unit, title="另一单位事件")
    response = client_for(duty_officer).get(reverse("incidents:list"))
    body = html(response)
    assert "本单位事件" in body
    assert "另一单位事件" not in body
    due = mine.deadlines.get(kind=DeadlineKind.FIRST_REPORT).due_at
    assert f'data-due="{due.isoformat()}"' in body


def test_leader_sees_every_unit_and_can_filter_by_unit(leader, other_unit, duty_officer):
    make_incident(actor=duty_officer, title="本单位事件")
    theirs = make_incident(unit=other_unit, title="另一单位事件")
    client = client_for(leader)
    body = html(client.get(reverse("incidents:list")))
    assert "本单位事件" in body and "另一单位事件" in body
    body = html(client.get(reverse("incidents:list"), {"unit": theirs.unit_id}))
    assert "另一单位事件" in body and "本单位事件" not in body


def test_list_marks_an_overdue_row_red(duty_officer):
    now = timezone.now()
    make_incident(
        actor=duty_officer,
        title="逾期事件",
        grade=Grade.GENERAL,
        occurred_at=now - timedelta(hours=6),
        discovered_at=now - timedelta(hours=5),
    )
    body = html(client_for(duty_officer).get(reverse("incidents:list")))
    assert 'class="row-overdue"' in body
    assert re.search(r'class="countdown overdue" data-due=', body)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grade": Grade.MAJOR}, {"重大舆情"}),
        ({"grade": [Grade.MAJOR, Grade.GENERAL]}, {"重大舆情", "一般舆情"}),
        ({"status": Status.REPORTED}, {"一般舆情"}),
        ({"source": Source.POLICE}, {"警务舆情"}),
        ({"overdue": "true"}, {"警务舆情"}),
        ({"overdue": "false"}, {"重大舆情", "一般舆情"}),
        ({"q": "医院 急诊"}, {"一般舆情"}),
        ({"q": "YQ-2026-0001"}, {"重大舆情"}),
        # Dates are Beijing dates: 3月6日00时30分 is still 3月5日 in UTC.
        ({"occurred_after": "2026-03-06"}, {"重大舆情"}),
        ({"occurred_before": "2026-03-04"}, {"一般舆情"}),
        ({"occurred_after": "2026-03-05", "occurred_before": "2026-03-05"}, {"警务舆情"}),
        ({"occurred_after": "2026-03-05"}, {"重大舆情", "警务舆情"}),
        ({"grade": Grade.MAJOR, "source": Source.POLICE}, set()),
    ],
)
def test_list_filters(duty_officer, params, expected):
    titles = {"重大舆情", "一般舆情", "警务舆情"}
    with time_machine.travel(datetime(2026, 3, 6, 1, 0, tzinfo=BEIJING), tick=False):
        make_incident(
            actor=duty_officer,
            title="重大舆情",
            grade=Grade.MAJOR,
            occurred_at=datetime(2026, 3, 6, 0, 30, tzinfo=BEIJING),  # due 02:30: not overdue
            discovered_at=datetime(2026, 3, 6, 0, 40, tzinfo=BEIJING),
        )
        general = make_incident(
            actor=duty_officer,
            title="一般舆情",
            summary="网传某医院急诊科拒收病人",
            grade=Grade.GENERAL,
            occurred_at=datetime(2026, 3, 4, 8, 0, tzinfo=BEIJING),
            discovered_at=datetime(2026, 3, 5, 20, 0, tzinfo=BEIJING),
        )
        incident_transition(
            incident=general, actor=Actor.of(duty_officer), status=Status.REPORTED, reason="已报"
        )
        general.deadlines.filter(kind=DeadlineKind.FIRST_REPORT).update(met_at=timezone.now())
        make_incident(
            actor=duty_officer,
            title="警务舆情",
            grade=Grade.LARGER,
            source=Source.POLICE,
            occurred_at=datetime(2026, 3, 5, 22, 0, tzinfo=BEIJING),
            discovered_at=datetime(2026, 3, 5, 23, 0, tzinfo=BEIJING),  # notice due 00:00: overdue
        )
        body = html(client_for(duty_officer).get(reverse("incidents:list"), params))
    shown = {t for t in titles if f">{t}</a>" in body}
    assert shown == expected


def test_list_pagination_keeps_the_filters(duty_officer):
    for n in range(27):
        make_incident(actor=duty_officer, title=f"事件{n:02d}", grade=Grade.GENERAL)
    client = client_for(duty_officer)
    first = html(client.get(reverse("incidents:list"), {"grade": Grade.GENERAL}))
    assert "第 1 页，共 2 页" in first
    assert "grade=general&amp;page=2" in first
    second = html(client.get(reverse("incidents:list"), {"grade": Grade.GENERAL, "page": 2}))
    assert second.count('<td class="ref">') == 2


def test_htmx_filter_returns_only_the_results(duty_officer):
    make_incident(actor=duty_officer, title="局部刷新")
    response = client_for(duty_officer).get(reverse("incidents:list"), {"q": "局部"}, HTTP_HX_REQUEST="true")
    body = html(response)
    assert "局部刷新" in body
    assert "<html" not in body and 'id="results"' in body


def test_invalid_filter_shows_an_error_not_a_500(duty_officer):
    response = client_for(duty_officer).get(reverse("incidents:list"), {"occurred_after": "not-a-date"})
    assert response.status_code == 200
    assert "errorlist" in html(response)


# --- create -------------------------------------------------------------------------------


def test_create_form_has_chinese_labels(duty_officer):
    body = html(client_for(duty_officer).get(reverse("incidents:create")))
    for label in ("首发时间", "首发媒体", "基本内容", "传播情况", "真实情况", "背景材料", "链接"):
        assert f">{label}<" in body
    assert 'type="datetime-local"' in body


def test_create_logs_the_incident_and_lands_on_its_page(duty_officer):
    client = client_for(duty_officer)
    response = client.post(reverse("incidents:create"), valid_post())
    incident = Incident.objects.get(title="网传某医院拒收急诊病人")
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert incident.unit == duty_officer.unit and incident.owner == duty_officer
    assert incident.deadlines.filter(kind=DeadlineKind.FIRST_REPORT, met_at__isnull=True).exists()
    body = html(client.get(response["Location"]))
    assert incident.reference in body and f"已登记事件 {incident.reference}" in body


def test_datetime_local_is_beijing_time(duty_officer):
    with time_machine.travel(datetime(2026, 3, 5, 15, 0, tzinfo=BEIJING), tick=False):
        client_for(duty_officer).post(
            reverse("incidents:create"),
            valid_post(occurred_at="2026-03-05T14:20", discovered_at="2026-03-05T14:35"),
        )
    incident = Incident.objects.get()
    assert incident.occurred_at == datetime(2026, 3, 5, 6, 20, tzinfo=ZoneInfo("UTC"))
    assert incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT).due_at == datetime(
        2026, 3, 5, 16, 20, tzinfo=BEIJING
    )


def test_create_shows_errors_beside_each_field(duty_officer):
    now = timezone.now()
    response = client_for(duty_officer).post(
        reverse("incidents:create"),
        valid_post(
            title="",
            grade="",
            first_url="not a url",
            occurred_at=local_input(now - timedelta(minutes=10)),
            discovered_at=local_input(now - timedelta(minutes=40)),
        ),
    )
    assert response.status_code == 200
    assert not Incident.objects.exists()
    assert "该字段是必填项" in field_errors(response, "title")
    assert field_errors(response, "grade")
    assert field_errors(response, "first_url")
    assert "发现时间不能早于事发时间" in field_errors(response, "discovered_at")
    assert not field_errors(response, "summary")


def test_create_refuses_a_future_time(duty_officer):
    later = local_input(timezone.now() + timedelta(hours=2))
    response = client_for(duty_officer).post(reverse("incidents:create"), valid_post(discovered_at=later))
    assert "该时间晚于当前时间" in field_errors(response, "discovered_at")
    assert not Incident.objects.exists()


def test_monitor_cannot_create(monitor):
    client = client_for(monitor)
    assert client.get(reverse("incidents:create")).status_code == 403
    assert client.post(reverse("incidents:create"), valid_post()).status_code == 403
    assert not Incident.objects.exists()
    assert reverse("incidents:create") not in html(client.get(reverse("incidents:list")))


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_every_report_field_clocks_and_timeline(duty_officer):
    now = timezone.now()
    incident = make_incident(
        actor=duty_officer,
        source=Source.POLICE,
        first_published_at=now - timedelta(minutes=20),
        first_outlet="抖音",
        first_url="https://www.douyin.com/video/1",
        spread="播放量约3万",
        facts="经核实系误传",
        background="该校上月曾整改",
        warning_level="orange",
        response_level="III",
    )
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    for label in (
        "基本内容",
        "首发时间",
        "首发媒体",
        "链接",
        "传播情况",
        "真实情况",
        "背景材料",
        "其他辅助材料",
    ):
        assert label in body
    for value in (
        incident.summary,
        "抖音",
        "https://www.douyin.com/video/1",
        "播放量约3万",
        "经核实系误传",
        "该校上月曾整改",
    ):
        assert value in body
    assert "较大" in body and "二级（橙色）" in body and "III级响应" in body
    for deadline in incident.deadlines.all():
        assert f'data-due="{deadline.due_at.isoformat()}"' in body
    assert "首报" in body and "警务协作通报" in body
    assert "开始计时：首报" in body  # the timeline, translated
    assert "值班员甲" in body  # who


def test_detail_shows_a_met_deadline_as_late(duty_officer):
    incident = make_incident(actor=duty_officer)
    deadline = incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT)
    deadline.met_at = deadline.due_at + timedelta(minutes=7)
    deadline.save()
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    assert "超时 7 分钟" in body


def test_another_units_incident_is_404_everywhere(duty_officer, other_unit):
    theirs = make_incident(unit=other_unit)
    client = client_for(duty_officer)
    for name in ("detail", "edit", "deadlines"):
        assert client.get(reverse(f"incidents:{name}", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("incidents:regrade", args=[theirs.pk]), {"regrade-grade": "major", "regrade-reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("incidents:transition", args=[theirs.pk]),
            {"transition-status": "reported", "transition-reason": "x"},
        ).status_code
        == 404
    )
    assert client.post(reverse("incidents:edit", args=[theirs.pk]), valid_post()).status_code == 404


def test_monitor_sees_the_incident_but_no_forms(monitor, duty_officer):
    incident = make_incident(actor=duty_officer)
    client = client_for(monitor)
    body = html(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert incident.title in body
    assert reverse("incidents:regrade", args=[incident.pk]) not in body
    assert reverse("incidents:transition", args=[incident.pk]) not in body
    assert reverse("incidents:edit", args=[incident.pk]) not in body
    assert client.get(reverse("incidents:edit", args=[incident.pk])).status_code == 403
    response = client.post(
        reverse("incidents:regrade", args=[incident.pk]), {"regrade-grade": "major", "regrade-reason": "x"}
    )
    assert response.status_code == 403


def test_deadlines_partial(duty_officer):
    incident = make_incident(actor=duty_officer)
    body = html(client_for(duty_officer).get(reverse("incidents:deadlines", args=[incident.pk])))
    assert 'id="clocks"' in body and "<html" not in body and "data-due=" in body


# --- edit ---------------------------------------------------------------------------------


def test_edit_saves_through_the_service(duty_officer):
    incident = make_incident(actor=duty_officer)
    client = client_for(duty_officer)
    form = html(client.get(reverse("incidents:edit", args=[incident.pk])))
    assert local_input(incident.occurred_at) in form  # shown in Beijing time
    assert 'name="grade"' not in form  # regrade has its own form
    data = valid_post(
        title=incident.title,
        summary=incident.summary,
        occurred_at=local_input(incident.occurred_at),
        discovered_at=local_input(incident.discovered_at),
        facts="经核实，食材在保质期内。",
    )
    data.pop("grade")
    response = client.post(reverse("incidents:edit", args=[incident.pk]), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.facts == "经核实，食材在保质期内。"
    assert incident.timeline.filter(kind="incident_updated").exists()


def test_edit_hands_the_incident_to_another_owner_in_the_unit(duty_officer, other_unit):
    incident = make_incident(actor=duty_officer)
    colleague = make_user(Role.DUTY_OFFICER, unit=incident.unit, username="colleague", first_name="值班员乙")
    outsider = make_user(Role.DUTY_OFFICER, unit=other_unit, username="outsider")
    client = client_for(duty_officer)
    form = html(client.get(reverse("incidents:edit", args=[incident.pk])))
    assert f'value="{colleague.pk}"' in form and f'value="{outsider.pk}"' not in form
    data = valid_post(
        title=incident.title,
        summary=incident.summary,
        occurred_at=local_input(incident.occurred_at),
        discovered_at=local_input(incident.discovered_at),
        owner=outsider.pk,
    )
    data.pop("grade")
    response = client.post(reverse("incidents:edit", args=[incident.pk]), data)
    assert response.status_code == 200 and field_errors(response, "owner")
    data["owner"] = colleague.pk
    assert client.post(reverse("incidents:edit", args=[incident.pk]), data).status_code == 302
    incident.refresh_from_db()
    assert incident.owner == colleague
    event = incident.timeline.get(kind="owner_changed")
    assert event.actor_user == duty_officer
    assert event.data == {"old": "duty", "new": "colleague"}


def test_edit_shows_field_errors_and_changes_nothing(duty_officer):
    incident = make_incident(actor=duty_officer)
    response = client_for(duty_officer).post(
        reverse("incidents:edit", args=[incident.pk]),
        valid_post(title="", summary=incident.summary, facts="不应保存"),
    )
    assert response.status_code == 200
    assert field_errors(response, "title")
    incident.refresh_from_db()
    assert incident.facts == "" and incident.title


# --- regrade and transition ---------------------------------------------------------------


def test_regrade_moves_the_first_report_deadline(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.GENERAL)
    response = client_for(duty_officer).post(
        reverse("incidents:regrade", args=[incident.pk]),
        {"regrade-grade": Grade.MAJOR, "regrade-reason": "转发量激增"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.grade == Grade.MAJOR
    due = incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT).due_at
    assert due == incident.occurred_at + timedelta(hours=2)
    assert incident.timeline.filter(kind="incident_regraded", data__reason="转发量激增").exists()


def test_regrade_needs_a_reason(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.GENERAL)
    response = client_for(duty_officer).post(
        reverse("incidents:regrade", args=[incident.pk]),
        {"regrade-grade": Grade.MAJOR, "regrade-reason": "  "},
    )
    assert response.status_code == 200
    assert field_errors(response, "regrade-reason")
    incident.refresh_from_db()
    assert incident.grade == Grade.GENERAL


def test_transition_allowed(duty_officer):
    incident = make_incident(actor=duty_officer)
    response = client_for(duty_officer).post(
        reverse("incidents:transition", args=[incident.pk]),
        {"transition-status": Status.REPORTED, "transition-reason": "已电话报送"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


def test_transition_form_offers_only_allowed_statuses(duty_officer):
    incident = make_incident(actor=duty_officer)
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    form = body[body.index('id="transition"') :]
    form = form[: form.index("</form>")]
    assert 'value="reported"' in form and 'value="responding"' in form and 'value="closed"' in form
    assert 'value="monitoring"' not in form and 'value="subsided"' not in form


def test_refused_transition_shows_a_form_error(duty_officer):
    incident = make_incident(actor=duty_officer)  # new → subsided is not allowed
    response = client_for(duty_officer).post(
        reverse("incidents:transition", args=[incident.pk]),
        {"transition-status": Status.SUBSIDED, "transition-reason": "已平息"},
    )
    assert response.status_code == 200
    errors = field_errors(response, "transition-status")
    assert "不能从“新发现”变更为“已平息”" in errors
    incident.refresh_from_db()
    assert incident.status == Status.NEW


def test_attachment_upload(duty_officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    incident = make_incident(actor=duty_officer)
    upload = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = client_for(duty_officer).post(
        reverse("incidents:attachment_add", args=[incident.pk]),
        {"attachment-file": upload, "attachment-description": "微博截图"},
    )
    assert response.status_code == 302
    assert incident.attachments.get().description == "微博截图"
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    assert "微博截图" in body and "添加附件：微博截图" in body


def test_attachment_without_a_file_is_a_form_error(duty_officer):
    incident = make_incident(actor=duty_officer)
    response = client_for(duty_officer).post(
        reverse("incidents:attachment_add", args=[incident.pk]), {"attachment-description": "无文件"}
    )
    assert response.status_code == 200
    assert field_errors(response, "attachment-file")
    assert not incident.attachments.exists()


# --- panels and languages -----------------------------------------------------------------


def test_registered_panels_render_with_their_context(duty_officer, monkeypatch, tmp_path, settings):
    (tmp_path / "testpanel").mkdir()
    (tmp_path / "testpanel" / "_panel.html").write_text(
        '<section id="test-panel">{{ panel_word }} {{ incident.reference }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]},
        *settings.TEMPLATES[1:],
    ]
    monkeypatch.setattr(panel_registry, "_PANELS", dict(panel_registry._PANELS))
    panel_registry.register_panel(
        panel_registry.Panel(
            key="test",
            order=999,
            template="testpanel/_panel.html",
            context=lambda request, incident: {"panel_word": f"面板{request.user.username}"},
        )
    )
    incident = make_incident(actor=duty_officer)
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    assert f'<section id="test-panel">面板duty {incident.reference}</section>' in body


def test_chinese_by_default_english_after_switching(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.MAJOR)
    client = client_for(duty_officer)
    body = html(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert 'lang="zh-hans"' in body
    assert "处置记录" in body and ">重大<" in body and "调整等级" in body
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = html(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert 'lang="en"' in body
    assert "Timeline" in body and "Major (重大)" in body and "Change grade" in body
    assert "处置记录" not in body


def test_detail_page_ids_are_unique(duty_officer):
    """Several forms share field names (reason); their ids must not clash, or labels point
    at the wrong box."""
    incident = make_incident(actor=duty_officer)
    body = html(client_for(duty_officer).get(reverse("incidents:detail", args=[incident.pk])))
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert "id_regrade-reason" in ids and "id_transition-reason" in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
