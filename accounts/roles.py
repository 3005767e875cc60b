"""Staff roles: names of the groups and what each may do.

The groups are created by a data migration (accounts/migrations/0002) which keeps its own frozen
copy of these lists, as migrations must; `sync_role_groups` applies the current lists and is what
`create_demo_users` and the tests use, so drift between the two shows up in tests.
"""

CURATORS = "Curators"
REVIEWERS = "Reviewers"

# The trial record and its parts: curators add and change them (and remove parts from a trial).
TRIAL_PARTS = ["registryid", "intervention", "outcome", "site", "source", "trialpublication"]
SHARED_RECORDS = ["publication", "organisation", "condition", "celltype", "route", "cellproduct"]

CURATOR_PERMISSIONS = (
    [f"trials.{action}_trial" for action in ("view", "add", "change")]
    + [f"trials.{a}_{m}" for m in TRIAL_PARTS for a in ("view", "add", "change", "delete")]
    + [f"trials.{a}_{m}" for m in SHARED_RECORDS for a in ("view", "add", "change")]
    # The curators' queue: public problem reports to read and close, the review log, and
    # registry records whose new values wait for a curator.
    + ["trials.view_problemreport", "trials.change_problemreport", "trials.view_workflowevent"]
    + ["trials.view_registryrecord", "trials.change_registryrecord"]
    # The registry sync: curators keep the saved searches and read what each run did.
    + [f"trials.{a}_savedsearch" for a in ("view", "add", "change")]
    + ["trials.view_syncrun"]
)
# Reviewers can do all that, and publish or withdraw.
REVIEWER_PERMISSIONS = [*CURATOR_PERMISSIONS, "trials.publish_trial"]

ROLE_PERMISSIONS = {CURATORS: CURATOR_PERMISSIONS, REVIEWERS: REVIEWER_PERMISSIONS}


def sync_role_groups(group_model, permission_model, roles=None):
    """Create each role's group and give it exactly its permissions. Idempotent."""
    for name, perms in (roles or ROLE_PERMISSIONS).items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
