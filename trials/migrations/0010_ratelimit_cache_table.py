"""Create the database cache table that the report-a-problem rate limit uses (settings.CACHES
"ratelimit"), so that `migrate` alone prepares a database, whatever starts the app."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # Idempotent: createcachetable skips tables that exist.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("trials", "0009_registry_record")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
