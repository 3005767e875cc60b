from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import CURATORS, REVIEWERS

DEMO_USERS = [
    ("curator", "curator-demo-pass", CURATORS),
    ("reviewer", "reviewer-demo-pass", REVIEWERS),
]


class Command(BaseCommand):
    help = "Create local demo staff accounts (curator, reviewer). Refuses unless DEBUG is on."

    def handle(self, *args, **options):
        # Known passwords are fine on a developer's laptop and never acceptable anywhere else.
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only created with DJANGO_DEBUG=1 (local use).")
        User = get_user_model()
        for username, password, group_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True}
            )
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group_name)])
            verb = "Created" if created else "Reset"
            self.stdout.write(f"{verb} demo {group_name[:-1].lower()} account: {username}")
