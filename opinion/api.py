"""API plumbing shared by every app: the exception handler and the JSON parser.

Services raise Django's ``ValidationError`` (from ``full_clean`` or their own checks). The API
answers those with DRF's shape, field name to messages, status 400, so a rule broken anywhere
becomes a clear error rather than a 500.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.validators import first_text_error


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                ("non_field_errors" if field == "__all__" else field): [str(m) for m in errors]
                for field, errors in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what would otherwise end in a 500 further on.

    - Nesting deeper than Python's recursion limit (``[[[[…]]]]``): DRF lets the
      ``RecursionError`` through.
    - NUL characters and unpaired surrogates (``"\\u0000"``, ``"\\ud800"``) in any string or
      key: PostgreSQL stores neither in text or jsonb, and a surrogate echoed in an error
      message cannot even be encoded for the response. DRF's ``CharField`` refuses them, but
      not choice fields, keys, lists of ids or JSON fields; one check here covers them all,
      naming the top-level field that holds the string."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - nested too deeply.")) from None
        found = first_text_error(data)
        if found is not None:
            field, error = found
            raise exceptions.ValidationError({field or "non_field_errors": [error]})
        return data
