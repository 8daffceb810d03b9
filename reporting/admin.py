"""Admin: the required-fields configuration (per kind and grade) is edited here. Reports are
read-only: they change only through the services behind the report pages and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from reporting.choices import CONTENT_FIELDS
from reporting.models import Report, RequiredFieldSet


def _field_choices() -> list[tuple[str, str]]:
    return [
        (name, str(getattr(Report._meta.get_field(name), "verbose_name", name))) for name in CONTENT_FIELDS
    ]


class RequiredFieldSetForm(forms.ModelForm):
    class Meta:
        model = RequiredFieldSet
        fields = ["kind", "grade", "fields"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The JSON list as checkboxes, one per content field, labelled in the reader's language.
        self.fields["fields"] = forms.MultipleChoiceField(
            label=_("required fields"),
            choices=_field_choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )


@admin.register(RequiredFieldSet)
class RequiredFieldSetAdmin(admin.ModelAdmin):
    form = RequiredFieldSetForm
    list_display = ("kind", "grade_or_all", "field_labels")
    list_filter = ("kind",)

    @admin.display(description=_("grade"))
    def grade_or_all(self, obj: RequiredFieldSet) -> Any:
        return obj.get_grade_display() if obj.grade else _("every grade")

    @admin.display(description=_("required fields"))
    def field_labels(self, obj: RequiredFieldSet) -> str:
        labels = dict(_field_choices())
        return "、".join(labels.get(name, name) for name in obj.fields)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("__str__", "incident", "kind", "status", "unit", "number", "submitted_at", "on_time")
    list_filter = ("kind", "status", "unit", "on_time")
    search_fields = ("title", "incident__reference")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
