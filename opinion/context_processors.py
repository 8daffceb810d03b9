from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Values every page needs: the site name and the language switcher's choices."""
    return {"SITE_NAME": "舆情应对处置", "LANGUAGES": settings.LANGUAGES}
