"""Test settings: the real PostgreSQL and Redis on this machine (override with TEST_DATABASE_URL,
TEST_REDIS_URL). pytest-django creates ``test_<name>`` (suffixed per xdist worker)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault(
    "DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opinion")
)
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))

from opinion.settings import *  # noqa: E402,F403
from opinion.settings import DATABASES  # noqa: E402

if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
