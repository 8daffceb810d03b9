"""Named choices for reports. Values are stable API strings; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    """Reporting stages: 首报, 续报 (numbered 一, 二, …) and 终报."""

    FIRST = "first", _("First report (首报)")
    FOLLOW_UP = "follow_up", _("Follow-up report (续报)")
    FINAL = "final", _("Final report (终报)")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (草稿)")
    SUBMITTED = "submitted", _("Submitted (已报送)")


# The Chinese word each kind carries in a document title (关于×××舆情的首报).
KIND_WORDS = {ReportKind.FIRST: "首报", ReportKind.FOLLOW_UP: "续报", ReportKind.FINAL: "终报"}

# Content fields a report can carry; the required-fields configuration picks among these.
# The first eight are the source's eight (舆情的基本内容 … 其他辅助材料).
SOURCE_FIELDS = (
    "summary",
    "first_published_at",
    "first_outlet",
    "first_url",
    "spread",
    "facts",
    "background",
    "attachments",
)
FOLLOW_UP_FIELDS = ("trend_assessment", "measures", "suggestions")
FINAL_FIELDS = ("outcome", "assessment")
CONTENT_FIELDS = (*SOURCE_FIELDS, *FOLLOW_UP_FIELDS, *FINAL_FIELDS)

# Defaults, written by the data migration as editable rows; used when no row matches.
# Key: (kind, grade or "" for every grade).
DEFAULT_REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    (ReportKind.FIRST, ""): SOURCE_FIELDS,
    (ReportKind.FOLLOW_UP, ""): ("facts",),
    (ReportKind.FOLLOW_UP, "major"): ("facts", *FOLLOW_UP_FIELDS),
    (ReportKind.FOLLOW_UP, "especially_major"): ("facts", *FOLLOW_UP_FIELDS),
    (ReportKind.FINAL, ""): FINAL_FIELDS,
}
