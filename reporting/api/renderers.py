"""Renderers for ``…/export/?format=docx|pdf``: DRF reads ``format`` to pick a renderer, so the
export formats are renderers. The view hands them the finished bytes; an error (a 404, say)
is still answered as JSON."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.renderers import BaseRenderer


class _FileRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False, default=str).encode()


class DocxRenderer(_FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    format = "docx"


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"
