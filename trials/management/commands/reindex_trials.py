from django.core.management.base import BaseCommand

from trials import services
from trials.models import Trial


class Command(BaseCommand):
    help = "Rebuild the search documents and browse index of every trial (safe to rerun)."

    def handle(self, *args, **options):
        ids = list(Trial.objects.values_list("pk", flat=True))
        services.trials_reindex(trial_ids=ids)
        services.refresh_planner_statistics()
        self.stdout.write(f"Reindexed {len(ids)} trial(s).")
