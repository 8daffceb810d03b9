"""Exports read back: the Word file through python-docx, the PDF through pypdf's text
extraction, asserting the Chinese content, the layout's parts and 2026年3月5日14时20分."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader

from incidents.timeline import Actor
from monitoring.services import client_create, detections_ingest, keyword_rule_create
from reporting import exports
from reporting.choices import ReportKind
from reporting.services import report_create_draft, report_submit, report_update
from tests.reporting.conftest import FOLLOW_UP_MAJOR, PUBLISHED, complete_draft, first_draft, incident_for

pytestmark = pytest.mark.django_db


def docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    parts = [p.text for p in word.paragraphs]
    for table in word.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    """Text extraction may break lines anywhere; compare without whitespace."""
    return "".join(text.split())


@pytest.fixture
def submitted(clock, duty_officer, signer):
    incident = incident_for(duty_officer)
    report = complete_draft(
        first_draft(duty_officer, incident), duty_officer, signer, send_to="市公安局", copy_to="区委办"
    )
    return report_submit(report=report, actor=Actor.of(duty_officer))


def test_word_export_reads_back(submitted, signer):
    text = docx_text(exports.report_docx(submitted))
    assert "关于某区网传学校食堂食材过期舆情的首报" in text
    assert "内部资料" in text and "舆情专报" in text
    assert "2026年第1期" in text
    assert "签发人：李签发" in text or f"签发人：{signer.get_full_name()}" in text
    assert "本单位\t2026年3月5日" in text  # unit lower left, sign-off date lower right
    assert "首发时间：2026年3月5日14时20分" in text
    assert "首发媒体：新浪微博@某区生活圈" in text
    assert "一、基本情况" in text and "四、真实情况" in text
    assert "经区市场监管局现场核查，涉事食材为临期而非过期。" in text
    assert "报：市委网信办" in text and "送：市公安局" in text and "抄送：区委办" in text
    assert "（共印5份）" in text
    assert "报送时间：2026年3月5日14时30分" in text


def test_word_export_uses_fangsong_body_font(submitted):
    word = WordDocument(io.BytesIO(exports.report_docx(submitted)))
    normal = word.styles["Normal"]
    east_asia = normal.element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert "仿宋" in east_asia
    assert normal.font.size.pt == 16  # 3号


def test_pdf_export_reads_back(submitted):
    data = exports.report_pdf(submitted)
    assert data.startswith(b"%PDF")
    text = squash(pdf_text(data))
    assert "关于某区网传学校食堂食材过期舆情的首报" in text
    assert "舆情专报" in text and "2026年第1期" in text and "内部资料" in text
    assert "首发时间：2026年3月5日14时20分" in text
    assert "经区市场监管局现场核查" in text
    assert "报：市委网信办" in text


def test_pdf_embeds_system_cjk_fonts(submitted):
    reader = PdfReader(io.BytesIO(exports.report_pdf(submitted)))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("NotoSerifCJK" in f.replace("-", "") for f in fonts), fonts


def test_follow_up_export_titles_and_sections(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade="major")
    report_submit(
        report=complete_draft(first_draft(duty_officer, incident), duty_officer, signer),
        actor=Actor.of(duty_officer),
    )
    follow = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    report_update(report=follow, actor=Actor.of(duty_officer), **FOLLOW_UP_MAJOR)
    draft_text = docx_text(exports.report_docx(follow))
    assert "第　期（草稿）" in draft_text
    follow = report_submit(report=follow, actor=Actor.of(duty_officer))
    text = docx_text(exports.report_docx(follow))
    assert "关于某区网传学校食堂食材过期舆情的续报（一）" in text
    assert "研判发展趋势" in text and "应对措施" in text and "意见建议" in text
    assert "2026年第2期" in text


def test_draft_spread_comes_from_monitoring(clock, duty_officer, signer):
    incident = incident_for(duty_officer)
    keyword_rule_create(incident=incident, actor=Actor.system(), groups=[["食堂"], ["过期"]])
    client, _key = client_create(name="测试监测系统")
    items = []
    for i in range(6):
        items.append(
            {
                "external_id": f"e{i}",
                "url": f"https://weibo.example.cn/e{i}",
                "platform": "微博" if i < 4 else "微信",
                "outlet": "某区生活圈" if i < 3 else f"网友{i}",
                "author": "网友",
                "title": "某区学校食堂被曝使用过期食材",
                "text": "有网友发帖称，某区一所学校食堂使用过期食材。",
                "sentiment": "negative" if i % 2 == 0 else "neutral",
                "published_at": (PUBLISHED + timedelta(minutes=i)).isoformat(),
                "metrics": {"reads": 100, "reposts": 5, "comments": 3, "likes": 8},
            }
        )
    results = detections_ingest(client=client, items=items)
    assert all(r.status == "created" and incident.pk in r.incidents for r in results), results
    report = first_draft(duty_officer, incident)
    assert report.spread_data["total"] == 6
    assert "共监测到相关信息6条" in report.spread and "负面信息3条" in report.spread
    assert "微博4条" in report.spread and "微信2条" in report.spread
    # 首发溯源: the earliest detection fills the first-publication fields the incident lacked.
    assert report.first_published_at == PUBLISHED
    assert report.first_outlet == "某区生活圈" and report.first_url == "https://weibo.example.cn/e0"
    text = docx_text(exports.report_docx(report))
    assert "信息分布（按平台）" in text and "微博" in text
    assert "主要发布媒体（账号）" in text and "某区生活圈" in text
