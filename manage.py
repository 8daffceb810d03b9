#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opinion.settings")
    # The command line is a developer's tool: without DJANGO_DEBUG it runs in local mode (a
    # generated key under var/). The servers (gunicorn via wsgi.py, Celery via opinion/celery.py)
    # do not pass through here and still refuse to start without a real SECRET_KEY; production
    # sets DJANGO_DEBUG=0 (docker-compose.yml), so its commands stay strict too.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
