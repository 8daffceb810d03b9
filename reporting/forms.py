"""Browser forms. They parse input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms import https_formfield
from incidents.models import Incident
from incidents.validators import validate_time_range
from reporting.choices import FINAL_FIELDS, FOLLOW_UP_FIELDS, ReportKind
from reporting.models import Report
from reporting.selectors import required_fields_for, signers_for
from reporting.services import EDITABLE_FIELDS

TEXTAREA_ROWS = {"summary": 4, "spread": 5, "facts": 4, "background": 3, "attachments": 3}


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        formfield_callback = https_formfield
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "first_published_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the sections this kind of report carries (or that the configuration requires):
        # a 首报 form has no 研判发展趋势, and fields not shown are not overwritten.
        report: Report = self.instance
        required = set(required_fields_for(kind=report.kind, grade=report.incident.grade))
        for kind, names in ((ReportKind.FOLLOW_UP, FOLLOW_UP_FIELDS), (ReportKind.FINAL, FINAL_FIELDS)):
            if report.kind != kind and not required & set(names):
                for name in names:
                    self.fields.pop(name, None)
        signer = cast(forms.ModelChoiceField, self.fields["signer"])
        signer.queryset = signers_for(self.instance.unit)
        signer.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = TEXTAREA_ROWS.get(name, 3)
            if isinstance(field, forms.DateTimeField):
                # 0001-01-01 would be saved as year 0 in UTC and break every page showing it.
                field.validators.append(validate_time_range)

    def _post_clean(self) -> None:
        # The services validate the whole record; a draft may be saved incomplete.
        pass


class ReportCreateForm(forms.Form):
    incident = forms.ModelChoiceField(label=_("incident"), queryset=Incident.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=ReportKind.choices)

    def __init__(self, *args: Any, incidents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if incidents is not None:
            cast(forms.ModelChoiceField, self.fields["incident"]).queryset = incidents
