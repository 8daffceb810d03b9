"""The Celery app. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opinion.settings")

app = Celery("opinion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_db_connections(**kwargs: object) -> None:
    """Django's request-cycle rule for a task: drop a connection past ``CONN_MAX_AGE`` or broken,
    and health-check a kept one before its next use (``CELERY_DB_REUSE_MAX`` keeps Celery from
    closing every connection after every task). Not for eager calls: they run inside the
    caller's transaction (tests), which must not be touched."""
    from django.db import close_old_connections

    task = kwargs.get("sender")
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    close_old_connections()
