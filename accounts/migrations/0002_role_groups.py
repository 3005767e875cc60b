"""Curators and Reviewers groups with their permissions (a frozen copy of accounts/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRIAL_PARTS = ["registryid", "intervention", "outcome", "site", "source", "trialpublication"]
SHARED_RECORDS = ["publication", "organisation", "condition", "celltype", "route"]
CURATOR = (
    [("trials", f"{a}_trial") for a in ("view", "add", "change")]
    + [("trials", f"{a}_{m}") for m in TRIAL_PARTS for a in ("view", "add", "change", "delete")]
    + [("trials", f"{a}_{m}") for m in SHARED_RECORDS for a in ("view", "add", "change")]
)
REVIEWER = [*CURATOR, ("trials", "publish_trial")]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); make sure they
    # exist now so that a fresh database has working groups straight away.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in (("Curators", CURATOR), ("Reviewers", REVIEWER)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in perms
            ]
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Curators", "Reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("trials", "0002_vocabularies"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
