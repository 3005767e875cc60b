import pytest
from django.contrib.auth.models import Group

from accounts.roles import CURATORS, REVIEWERS, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", [CURATORS, REVIEWERS])
def test_migration_groups_match_the_roles_module(name):
    group = Group.objects.get(name=name)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert granted == set(ROLE_PERMISSIONS[name])


def test_only_reviewers_can_publish(curator, reviewer):
    assert not curator.has_perm("trials.publish_trial")
    assert curator.has_perm("trials.change_trial")
    assert not curator.has_perm("trials.delete_trial")
    assert reviewer.has_perm("trials.publish_trial")


def test_demo_accounts_refuse_without_debug(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="only created with DJANGO_DEBUG=1"):
        call_command("create_demo_users")


def test_demo_accounts_are_staff_in_their_groups(settings, django_user_model):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("create_demo_users")
    call_command("create_demo_users")  # idempotent
    curator = django_user_model.objects.get(username="curator")
    assert curator.is_staff and not curator.is_superuser
    assert list(curator.groups.values_list("name", flat=True)) == [CURATORS]
    assert curator.check_password("curator-demo-pass")
