"""First-start set-up for ``make run``: an administrator and, on an empty database, demo data."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from incidents.choices import Role
from incidents.models import Incident, Unit, User
from opinion.demo import demo_load_all


class Command(BaseCommand):
    help = "Create the first administrator (printing its password once) and load demo incidents."

    def handle(self, *args: Any, **options: Any) -> None:
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            password = secrets.token_urlsafe(12)
            admin = User.objects.create_superuser(
                username="admin", email="", password=password, unit=Unit.default(), first_name="管理员"
            )
            for role in Role:
                admin.groups.add(Group.objects.get(name=role.value))
            self.stdout.write(
                self.style.SUCCESS(
                    "\n  管理员账号已创建 / administrator created\n"
                    f"  用户名 username: admin\n  密码 password: {password}\n"
                    "  (shown once; change it under 配置 › 用户)\n"
                )
            )
        if os.environ.get("DEMO", "1") != "0" and not Incident.objects.exists():
            incidents = demo_load_all(actor_user=admin)
            self.stdout.write(
                f"  已载入演示事件 {len(incidents)} 件 / loaded {len(incidents)} demo incidents (DEMO=0 skips)"
            )
