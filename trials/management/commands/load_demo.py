from django.core.management.base import BaseCommand

from trials.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo catalogue of real MS and ALS cell-therapy trials (with sources). "
        "Idempotent: trials already present are left as they are."
    )

    def handle(self, *args, **options):
        report = load_demo()
        self.stdout.write(
            f"Demo catalogue: {len(report.created)} trial(s) created, "
            f"{len(report.unchanged)} already present and left unchanged."
        )
