"""Reports upward (首报/续报/终报) and which fields each must carry before it may be submitted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.choices import Grade
from incidents.models import Deadline, Incident, Unit
from reporting.choices import CONTENT_FIELDS, KIND_WORDS, ReportKind, ReportStatus

CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (续报 and section numbers)."""
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    head = "" if tens == 1 else CN_DIGITS[tens]
    return f"{head}十{CN_DIGITS[ones] if ones else ''}"


class RequiredFieldSet(models.Model):
    """Which content fields a report of a kind must carry, for one grade or (blank) for every
    grade. The row for the incident's grade wins over the blank-grade row."""

    kind = models.CharField(_("report kind"), max_length=20, choices=ReportKind.choices)
    grade = models.CharField(
        _("grade"),
        max_length=20,
        choices=Grade.choices,
        blank=True,
        help_text=_("Empty: every grade without a row of its own."),
    )
    fields = models.JSONField(_("required fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("required fields")
        verbose_name_plural = _("required fields")
        ordering = ["kind", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "grade"], name="requiredfieldset_kind_grade_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="requiredfieldset_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(grade__in=Grade.values), name="requiredfieldset_grade_valid"
            ),
        ]

    def __str__(self) -> str:
        grade = self.get_grade_display() if self.grade else _("every grade")
        return f"{self.get_kind_display()} · {grade}"

    def clean(self) -> None:
        if not isinstance(self.fields, list):
            raise ValidationError({"fields": _("A list of field names.")})
        unknown = [name for name in self.fields if name not in CONTENT_FIELDS]
        if unknown:
            raise ValidationError(
                {"fields": _("Unknown fields: %(names)s") % {"names": ", ".join(map(str, unknown))}}
            )


class Report(models.Model):
    """A report upward (报告): a draft prefilled from the incident and monitoring, edited, then
    submitted once: numbered 第X期 per unit and year, signed (签发人), meeting the deadline it
    answers. A submitted row is never changed (a database trigger refuses it); a correction is
    a new report that ``supersedes`` the old, and both are kept."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    sequence = models.PositiveIntegerField(
        _("sequence"), default=1, help_text=_("续报 number (一, 二, …); 1 for first and final reports.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)

    # Header (版头)
    unit = models.ForeignKey(
        Unit, verbose_name=_("reporting unit (报送单位)"), on_delete=models.PROTECT, related_name="reports"
    )
    document_name = models.CharField(_("document name"), max_length=40, default="舆情专报")
    secrecy = models.CharField(_("secrecy marking"), max_length=40, default="内部资料", blank=True)
    year = models.PositiveIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("issue number (第X期)"), null=True, blank=True)

    # Content: the incident's report fields, under the incident's names, snapshotted.
    title = models.CharField(_("incident title"), max_length=200)
    summary = models.TextField(_("basic content (基本内容)"), blank=True)
    first_published_at = models.DateTimeField(_("first published at (首发时间)"), null=True, blank=True)
    first_outlet = models.CharField(_("first outlet (首发媒体)"), max_length=200, blank=True)
    first_url = models.URLField(_("link (链接)"), max_length=1000, blank=True)
    spread = models.TextField(_("spread (传播情况)"), blank=True)
    spread_data = models.JSONField(_("spread figures"), default=dict, blank=True)
    facts = models.TextField(_("verified facts (真实情况)"), blank=True)
    background = models.TextField(_("background (背景材料)"), blank=True)
    attachments = models.TextField(_("supporting material (其他辅助材料)"), blank=True)
    # 续报
    trend_assessment = models.TextField(_("trend assessment (研判发展趋势)"), blank=True)
    measures = models.TextField(_("measures (应对措施)"), blank=True)
    suggestions = models.TextField(_("opinions and suggestions (意见建议)"), blank=True)
    # 终报
    outcome = models.TextField(_("handling and present state (处置结果)"), blank=True)
    assessment = models.TextField(_("assessment (评估)"), blank=True)

    # Sign-off and distribution
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by (签发人)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    report_to = models.CharField(_("report to (报)"), max_length=500, blank=True)
    send_to = models.CharField(_("send to (送)"), max_length=500, blank=True)
    copy_to = models.CharField(_("copy to (抄送)"), max_length=500, blank=True)
    copies = models.PositiveSmallIntegerField(_("copies (份数)"), null=True, blank=True)

    # Submission and its clock
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.ForeignKey(
        Deadline,
        verbose_name=_("deadline answered"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    minutes_late = models.PositiveIntegerField(_("minutes late"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("sign_report", _("Can sign off reports (签发)")),
            ("submit_report", _("Can submit reports upward")),
        ]
        indexes = [
            models.Index(fields=["incident", "kind", "sequence"]),
            # The lists, newest first, a page without sorting every report the user may see:
            # the browser's (submitted first, then drafts by creation) and the API's.
            models.Index(fields=["-submitted_at", "-created_at"], name="report_list_idx"),
            models.Index(fields=["-created_at", "-id"], name="report_api_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="report_grade_valid"),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.DRAFT, number__isnull=True, submitted_at__isnull=True)
                | Q(
                    status=ReportStatus.SUBMITTED,
                    number__isnull=False,
                    year__isnull=False,
                    submitted_at__isnull=False,
                    signer__isnull=False,
                ),
                name="report_submitted_complete",
            ),
            # 第X期: unique per unit and year.
            models.UniqueConstraint(fields=["unit", "year", "number"], name="report_unit_year_number_unique"),
            # One original 首报, one 终报, one 续报 per number; corrections supersede them.
            models.UniqueConstraint(
                fields=["incident", "kind", "sequence"],
                condition=Q(status=ReportStatus.SUBMITTED, supersedes__isnull=True),
                name="report_incident_kind_seq_unique",
            ),
            # One draft at a time for each report slot.
            models.UniqueConstraint(
                fields=["incident", "kind", "sequence"],
                condition=Q(status=ReportStatus.DRAFT),
                name="report_one_draft_per_slot",
            ),
        ]

    def __str__(self) -> str:
        number = f" 第{self.number}期" if self.number else ""
        return f"{self.heading}{number}"

    @property
    def is_draft(self) -> bool:
        return self.status == ReportStatus.DRAFT

    @property
    def kind_word(self) -> str:
        """首报 / 续报（一） / 终报."""
        word = KIND_WORDS[ReportKind(self.kind)]
        if self.kind == ReportKind.FOLLOW_UP:
            return f"{word}（{cn_numeral(self.sequence)}）"
        return word

    @property
    def heading(self) -> str:
        """The document's title: 关于×××舆情的首报 (a correction adds （更正）)."""
        subject = (self.title or "").strip()
        if subject.endswith("舆情"):
            subject = subject[: -len("舆情")]
        correction = "（更正）" if self.supersedes_id else ""
        return f"关于{subject}舆情的{self.kind_word}{correction}"

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CONTENT_FIELDS}
