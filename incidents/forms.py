"""Browser forms for incidents. They parse and validate input; the services in
``incidents.services`` do every write, so a form never saves anything itself."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import TRANSITIONS, Grade, Source, Status
from incidents.models import Incident, IncidentAttachment, User
from incidents.services import EDITABLE_FIELDS
from incidents.validators import validate_time_range

# datetime-local sends "2026-03-05T14:20"; it is read in the current time zone (Asia/Shanghai).
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "60", **(attrs or {})}, format=DATETIME_LOCAL)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: a field's message beside the field, the
    rest at the top, so a refusal reads like any other form error."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def https_formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """``Meta.formfield_callback`` for every ModelForm with links: a bare weibo.com/… means
    https (Django 6's default, chosen now), as browsers read it."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # a bare weibo.com/… means https, as browsers do
    return field.formfield(**kwargs)


class IncidentForm(forms.ModelForm):
    """Create and edit an incident. The grade is chosen here only at creation; afterwards it
    changes through the regrade form, which asks for a reason.

    As a ModelForm it runs the model's own checks (times in the future, discovery before the
    event) beside each field; the service runs them again inside its transaction."""

    class Meta:
        model = Incident
        formfield_callback = https_formfield
        fields = ["title", "grade", *[f for f in EDITABLE_FIELDS if f != "title"]]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "discovered_at": DateTimeLocalInput(),
            "first_published_at": DateTimeLocalInput(),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "spread": forms.Textarea(attrs={"rows": 3}),
            "facts": forms.Textarea(attrs={"rows": 3}),
            "background": forms.Textarea(attrs={"rows": 3}),
            "first_url": forms.URLInput(attrs={"placeholder": "https://"}),
        }
        help_texts = {
            "occurred_at": _("Beijing time. The first-report clock usually starts here."),
            "discovered_at": _("Beijing time."),
            "first_published_at": _("Beijing time, when the first post or article appeared."),
            "spread": _("Reposts, comments, reads, platforms, trending lists."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("occurred_at", "discovered_at", "first_published_at"):
            time_field = self.fields[name]
            assert isinstance(time_field, forms.DateTimeField)
            time_field.input_formats = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
            # 0001-01-01 would be saved as year 0 in UTC and break every page showing it.
            time_field.validators.append(validate_time_range)
        if self.instance.pk:
            del self.fields["grade"]  # regrade has its own form
            # Hand the incident to someone else in its unit (负责人变更), on the timeline.
            self.fields["owner"] = forms.ModelChoiceField(
                label=_("owner"),
                queryset=User.objects.filter(is_active=True, unit=self.instance.unit).order_by("username"),
                initial=self.instance.owner_id,
                required=False,
                empty_label="—",
            )
        else:
            grade, source = self.fields["grade"], self.fields["source"]
            assert isinstance(grade, forms.ChoiceField) and isinstance(source, forms.ChoiceField)
            grade.choices = [("", "—"), *Grade.choices]
            source.choices = [("", "—"), *Source.choices]
            # Usually logged the minute it is found: start from now, in Beijing time.
            self.fields["discovered_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def _keep_seconds(self, name: str) -> Any:
        # The input shows minutes only. An unchanged minute keeps the stored time to the
        # second, so saving an edit never moves a deadline by a few seconds.
        value = self.cleaned_data.get(name)
        original = getattr(self.instance, name, None) if self.instance.pk else None
        if value and original and value == original.replace(second=0, microsecond=0):
            return original
        return value

    def clean_occurred_at(self) -> Any:
        return self._keep_seconds("occurred_at")

    def clean_discovered_at(self) -> Any:
        return self._keep_seconds("discovered_at")

    def clean_first_published_at(self) -> Any:
        return self._keep_seconds("first_published_at")

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values the services accept, by keyword."""
        values = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS if name in self.cleaned_data}
        if self.cleaned_data.get("owner") is not None:
            values["owner"] = self.cleaned_data["owner"]
        return values


class RegradeForm(forms.Form):
    prefix = "regrade"  # the detail page carries several forms: keep their ids apart
    grade = forms.ChoiceField(label=_("New grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text=_("Required: it goes on the timeline."),
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        field = self.fields["grade"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, label) for v, label in Grade.choices if v != incident.grade]


class TransitionForm(forms.Form):
    prefix = "transition"
    status = forms.ChoiceField(label=_("Next status"), choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text=_("Required: it goes on the timeline."),
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        allowed = TRANSITIONS.get(incident.status, frozenset())
        # Any status is accepted here and the service decides: a transition refused because
        # someone else moved the incident meanwhile then reads as the service's own message.
        # The menu offers only the statuses allowed now.
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.widget.choices = [(v, label) for v, label in Status.choices if v in allowed]

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["status"].widget.choices)


class AttachmentForm(forms.ModelForm):
    """其他辅助材料: screenshots, documents."""

    prefix = "attachment"

    class Meta:
        model = IncidentAttachment
        fields = ["file", "description"]
