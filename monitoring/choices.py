"""Named choices for monitoring. Values are stable API strings; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sentiment(models.TextChoices):
    """Three-class sentiment as monitoring products report it (正面, 中性, 负面)."""

    POSITIVE = "positive", _("Positive (正面)")
    NEUTRAL = "neutral", _("Neutral (中性)")
    NEGATIVE = "negative", _("Negative (负面)")


# Monitoring products often send the Chinese words; both are accepted on ingest.
SENTIMENT_ALIASES = {
    "positive": Sentiment.POSITIVE,
    "neutral": Sentiment.NEUTRAL,
    "negative": Sentiment.NEGATIVE,
    "正面": Sentiment.POSITIVE,
    "中性": Sentiment.NEUTRAL,
    "负面": Sentiment.NEGATIVE,
}


class Scope(models.TextChoices):
    """Where a keyword rule looks (匹配范围)."""

    TITLE = "title", _("Title only (标题)")
    TEXT = "text", _("Text only (正文)")
    BOTH = "both", _("Title and text (全文)")


METRICS = ("reads", "reposts", "comments", "likes")
