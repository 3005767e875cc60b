"""Curators and reviewers keep the saved searches and read the sync runs (a frozen copy of
what accounts/roles.py added for issue 11)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADDED = ["view_savedsearch", "add_savedsearch", "change_savedsearch", "view_syncrun"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="trials", codename__in=ADDED)
    for group in Group.objects.filter(name__in=["Curators", "Reviewers"]):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="trials", codename__in=ADDED)
    for group in Group.objects.filter(name__in=["Curators", "Reviewers"]):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_curation_permissions"),
        ("trials", "0017_default_saved_searches"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
