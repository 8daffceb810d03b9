"""Granting model permissions to role groups from data migrations.

Permissions are normally created after ``migrate`` finishes; a data migration that grants
them must create them first, which ``grant`` does for the app that owns them."""

from __future__ import annotations

from typing import Any


def grant(apps: Any, schema_editor: Any, grants: dict[str, list[str]]) -> None:
    """``grants`` maps a role (group name) to ``"app_label.codename"`` permissions."""
    from django.contrib.auth.management import create_permissions

    for app_label in {perm.split(".")[0] for perms in grants.values() for perm in perms}:
        app_config = apps.get_app_config(app_label)
        # The migration state's app config has no models module; create_permissions skips
        # such apps unless told otherwise.
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
