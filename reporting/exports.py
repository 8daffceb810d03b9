"""A report as an official document: Word (python-docx), PDF (WeasyPrint) and the print view.

One description of the document (``document``) feeds all three, so they always say the same.
The layout follows local practice for 舆情专报 and GB/T 9704-2012 where it applies: 内部资料 at
the upper left, the document's name in red, 第X期, the reporting unit lower left and the
sign-off date lower right over a red rule, 签发人, the title 关于×××舆情的首报 in 小标宋, the
body in 仿宋 3号 (16 pt), headings 一、二、… in 黑体, distribution (报/送/抄送) and copies at the foot.

The document is always Chinese, whatever language the person exporting it reads: it is the
official text that goes upward.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from incidents.formats import format_cn, format_cn_date
from reporting.choices import ReportStatus
from reporting.models import Report, cn_numeral
from reporting.spread import hourly_points

# Word has no font fallback list: these are the names Chinese government PCs carry. The PDF
# names them first and falls back to the system's Noto CJK fonts (see "The document" in README.md).
FONT_BODY = "仿宋_GB2312"
FONT_BODY_ALT = "仿宋"
FONT_TITLE = "方正小标宋简体"
FONT_HEADING = "黑体"
RED = (0xC0, 0x00, 0x00)

# WeasyPrint logs every layout step at INFO; one line per page per download is noise in the logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    chart: dict[str, Any] | None = None


@dataclass
class Document:
    secrecy: str
    document_name: str
    number_line: str
    signer: str
    unit: str
    date: str
    heading: str
    sections: list[Section]
    distribution: list[tuple[str, str]]
    copies: str
    submitted_at: str
    is_draft: bool
    supersedes_line: str


# Characters XML 1.0 forbids. The API and forms accept control characters (text pasted from
# elsewhere carries them; only NUL is refused), and python-docx would refuse the whole
# document for one of them: they are dropped from what the documents print.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: Any) -> Any:
    """The same value with every string stripped of characters XML cannot hold."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list):
        return [_xml_safe(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_xml_safe(v) for v in value)
    if isinstance(value, dict):
        return {k: _xml_safe(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _xml_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return value


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _spread_tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    tables = []
    platforms = data.get("by_platform") or []
    if platforms:
        tables.append(
            {
                "caption": "信息分布（按平台）",
                "header": ["平台", "信息量（条）"],
                "rows": [[str(p.get("platform", "")), str(p.get("count", ""))] for p in platforms[:10]],
            }
        )
    outlets = data.get("top_outlets") or []
    if outlets:
        tables.append(
            {
                "caption": "主要发布媒体（账号）",
                "header": ["媒体（账号）", "信息量（条）"],
                "rows": [[str(o.get("outlet", "")), str(o.get("count", ""))] for o in outlets[:10]],
            }
        )
    return tables


def document(report: Report) -> Document:
    """What the document says, in order, with every time written 2026年3月5日14时20分."""
    submitted = report.status == ReportStatus.SUBMITTED
    raw: list[Section] = []
    raw.append(Section("基本情况", _paragraphs(report.summary)))
    first = []
    if report.first_published_at:
        first.append(f"首发时间：{format_cn(report.first_published_at)}")
    if report.first_outlet:
        first.append(f"首发媒体：{report.first_outlet}")
    if report.first_url:
        first.append(f"网站链接：{report.first_url}")
    raw.append(Section("首发情况", first))
    data = report.spread_data or {}
    raw.append(
        Section(
            "传播情况", _paragraphs(report.spread), tables=_spread_tables(data), chart=hourly_points(data)
        )
    )
    raw.append(Section("真实情况", _paragraphs(report.facts)))
    raw.append(Section("背景材料", _paragraphs(report.background)))
    raw.append(Section("研判发展趋势", _paragraphs(report.trend_assessment)))
    raw.append(Section("应对措施", _paragraphs(report.measures)))
    raw.append(Section("意见建议", _paragraphs(report.suggestions)))
    raw.append(Section("处置情况", _paragraphs(report.outcome)))
    raw.append(Section("评估总结", _paragraphs(report.assessment)))
    raw.append(Section("其他辅助材料", _paragraphs(report.attachments)))
    sections = [s for s in raw if s.paragraphs or s.tables]
    for i, section in enumerate(sections, start=1):
        section.title = f"{cn_numeral(i)}、{section.title}"

    signer = ""
    if report.signer:
        signer = report.signer.get_full_name() or report.signer.get_username()
    when = report.submitted_at or timezone.now()
    old = report.supersedes
    doc = Document(
        secrecy=report.secrecy,
        document_name=report.document_name or "舆情专报",
        number_line=f"{report.year}年第{report.number}期" if submitted else "第　期（草稿）",
        signer=signer,
        unit=str(report.unit),
        date=format_cn_date(when),
        heading=report.heading,
        sections=sections,
        distribution=[
            (label, value)
            for label, value in (("报", report.report_to), ("送", report.send_to), ("抄送", report.copy_to))
            if value
        ],
        copies=f"（共印{report.copies}份）" if report.copies else "",
        submitted_at=format_cn(report.submitted_at) if report.submitted_at else "",
        is_draft=not submitted,
        supersedes_line=(
            f"本期更正{old.year}年第{old.number}期《{old.heading}》，原报告作废。" if old is not None else ""
        ),
    )
    return _xml_safe(doc)


def filename(report: Report, ext: str) -> str:
    number = f"{report.year}年第{report.number}期" if report.number else "草稿"
    return f"{report.document_name or '舆情专报'}{number}-{report.heading}.{ext}"


# --- Word -------------------------------------------------------------------------------------


def _set_font(run: Any, name: str, size: float, *, bold: bool = False, red: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if red:
        run.font.color.rgb = RGBColor(*RED)
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), name)


def _rule(paragraph: Any, *, where: str = "bottom", color: str = "C00000", size: int = 12) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{where}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)
    p_pr.append(borders)


def report_docx(report: Report) -> bytes:
    """The report as a Word document (A4, GB/T 9704 margins, 仿宋 3号 body)."""
    from docx import Document as WordDocument
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = document(report)
    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    text_width = Cm(21 - 2.8 - 2.6)

    normal = word.styles["Normal"]
    normal.font.name = FONT_BODY
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    word.core_properties.title = doc.heading
    word.core_properties.author = doc.unit

    def para(text: str = "", *, font: str = FONT_BODY, size: float = 16, bold: bool = False,
             red: bool = False, align: Any = None, indent: bool = False) -> Any:  # fmt: skip
        p = word.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if text:
            _set_font(p.add_run(text), font, size, bold=bold, red=red)
        return p

    top = para()
    top.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    if doc.secrecy:
        _set_font(top.add_run(doc.secrecy), FONT_HEADING, 16)
    if doc.signer:
        _set_font(top.add_run(f"\t签发人：{doc.signer}"), FONT_BODY, 16)
    name = para(doc.document_name, font=FONT_TITLE, size=42, red=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    name.paragraph_format.line_spacing = Pt(60)
    para(doc.number_line, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    line = para()
    line.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    _set_font(line.add_run(f"{doc.unit}\t{doc.date}"), FONT_BODY, 16)
    _rule(line, size=18)
    para()
    title = para(doc.heading, font=FONT_TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(36)
    para()
    if doc.supersedes_line:
        para(doc.supersedes_line, indent=True)
    for sec in doc.sections:
        para(sec.title, font=FONT_HEADING, indent=True)
        for text in sec.paragraphs:
            para(text, indent=True)
        for spec in sec.tables:
            para(spec["caption"], font=FONT_BODY, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
            table = word.add_table(rows=1, cols=len(spec["header"]))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, spec["header"], strict=True):
                cell.text = ""
                _set_font(cell.paragraphs[0].add_run(text), FONT_HEADING, 12)
            for row in spec["rows"]:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = ""
                    _set_font(cell.paragraphs[0].add_run(text), FONT_BODY, 12)
        if sec.chart:
            chart = sec.chart
            para(
                f"（逐小时信息量：{chart['start']}至{chart['end']}，峰值{chart['max']}条/小时）",
                size=14,
                indent=True,
            )
    para()
    foot_first = True
    for label, value in doc.distribution:
        p = para(f"{label}：{value}", size=14)
        if foot_first:
            _rule(p, where="top", color="000000", size=6)
            foot_first = False
    if doc.copies:
        para(doc.copies, size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if doc.submitted_at:
        para(f"报送时间：{doc.submitted_at}", size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


# --- PDF and print view ---------------------------------------------------------------------


def report_html(report: Report, *, standalone: bool = True) -> str:
    return render_to_string(
        "reporting/document_pdf.html", {"doc": document(report), "report": report, "standalone": standalone}
    )


def report_pdf(report: Report) -> bytes:
    """The report as PDF, laid out by the same template as the browser's print view."""
    from weasyprint import HTML

    pdf = HTML(string=report_html(report)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
