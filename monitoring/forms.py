"""Browser forms: keyword rules typed as one group per line."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from monitoring.choices import Scope

_SPLIT = re.compile(r"[\s,，、;；|]+")


def split_terms(value: str) -> list[str]:
    return [t for t in _SPLIT.split(value or "") if t]


class KeywordRuleForm(forms.Form):
    groups = forms.CharField(
        label=_("Term groups"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "某区 某街道\n学校 食堂\n过期 变质"}),
        help_text=_(
            "One group per line; terms separated by spaces or 、. Any term of a line matches it; every line is required."
        ),
    )
    exclude = forms.CharField(
        label=_("Exclusion terms (屏蔽词)"),
        required=False,
        help_text=_("A post containing any of these is not matched."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.BOTH)

    def cleaned_rule(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "groups": [split_terms(line) for line in data["groups"].splitlines() if split_terms(line)],
            "exclude": split_terms(data.get("exclude", "")),
            "scope": data["scope"],
        }
