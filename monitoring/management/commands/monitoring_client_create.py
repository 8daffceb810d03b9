"""``python manage.py monitoring_client_create NAME``: register a monitoring system and print its
API key, alone on the last line (shown once; only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.services import client_create


class Command(BaseCommand):
    help = "Create a monitoring client and print its API key (shown once) on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--description", default="")
        parser.add_argument("--rate", default="", help="e.g. 600/min; default: MONITORING_RATE")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, key = client_create(
                name=options["name"], description=options["description"], rate=options["rate"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stderr.write(
            f"Monitoring client {client.name!r} created. Store the key now: it is not shown again.\n"
            "Send it as the header  Authorization: Api-Key <key>"
        )
        self.stdout.write(key)
