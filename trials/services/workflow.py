"""Workflow (draft → in review → published → withdrawn), review steps and revert."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trials import history
from trials.choices import Workflow, WorkflowAction
from trials.models import Trial, WorkflowEvent
from trials.services.index import public_record_touched, trials_reindex
from trials.services.recording import _record, _reindex

PUBLISH_PERMISSION = "trials.publish_trial"


# Workflow: draft → in review → published → withdrawn. Curators submit; only reviewers (the
# publish_trial permission, checked here on the server) publish, send back or withdraw.
TRANSITIONS = {
    # action: (allowed from, to, needs publish permission)
    "submit": ({Workflow.DRAFT}, Workflow.IN_REVIEW, False),
    "publish": ({Workflow.IN_REVIEW, Workflow.DRAFT, Workflow.WITHDRAWN}, Workflow.PUBLISHED, True),
    "send_back": ({Workflow.IN_REVIEW}, Workflow.DRAFT, True),
    "withdraw": ({Workflow.PUBLISHED}, Workflow.WITHDRAWN, True),
}


PAST_TENSE = {
    "submit": "submitted for review",
    "publish": "published",
    "send_back": "sent back to draft",
    "withdraw": "withdrawn",
}


class TransitionError(ValidationError):
    pass


def _require(user, *, publish: bool = False) -> None:
    if user is None:  # management commands and data migrations act as the system
        return
    if not user.has_perm("trials.change_trial"):
        raise PermissionDenied("You cannot change trials.")
    if publish and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only reviewers can publish, send back, withdraw or approve.")


def _event(trial: Trial, action: str, user, comment: str, from_state: str) -> WorkflowEvent:
    event = WorkflowEvent(
        trial=trial,
        action=action,
        from_state=from_state,
        to_state=trial.workflow,
        user=user,
        comment=comment.strip(),
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def trial_transition(*, trial: Trial, action: str, user, comment: str = "") -> Trial:
    """Move a trial through the workflow, checking the user's permission on the server.
    Sending back needs a comment: the curator must know what to fix."""
    allowed_from, target, needs_publish = TRANSITIONS[action]
    _require(user, publish=needs_publish)
    if action == "send_back" and not comment.strip():
        raise TransitionError("Say what needs fixing when you send a trial back.")
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.workflow not in allowed_from:
        raise TransitionError(
            f"“{trial}” is {trial.get_workflow_display().lower()}, so it cannot be "
            f"{PAST_TENSE[action]}."
        )
    from_state = trial.workflow
    trial.workflow = target
    if target == Workflow.PUBLISHED:
        trial.published_at = timezone.now()
        trial.reviewed_by = user
        trial.edited_since_review = False
    trial.save(
        update_fields=[
            "workflow",
            "published_at",
            "reviewed_by",
            "edited_since_review",
            "updated_at",
        ]
    )
    _event(trial, action, user, comment, from_state)
    _reindex(trial)  # only published trials are in the browse index
    reason = PAST_TENSE[action].capitalize() + (f": {comment.strip()}" if comment.strip() else "")
    # Not an edit: a curator's open form stays valid (workflow fields are not in it).
    _record(trial, user=user, reason=reason, edit=False)
    return trial


def trial_submit(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="submit", user=user, comment=comment)


def trial_publish(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="publish", user=user, comment=comment)


def trial_withdraw(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="withdraw", user=user, comment=comment)


def trial_send_back(*, trial: Trial, user, comment: str = "") -> Trial:
    return trial_transition(trial=trial, action="send_back", user=user, comment=comment)


@transaction.atomic
def trial_approve_edits(*, trial: Trial, user, comment: str = "") -> Trial:
    """A reviewer has checked the edits made to a published trial: it leaves the queue."""
    _require(user, publish=True)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.workflow != Workflow.PUBLISHED or not trial.edited_since_review:
        raise TransitionError(f"“{trial}” has no edits waiting for review.")
    trial.edited_since_review = False
    trial.reviewed_by = user
    trial.save(update_fields=["edited_since_review", "reviewed_by", "updated_at"])
    _event(trial, WorkflowAction.APPROVE_EDITS, user, comment, trial.workflow)
    reason = "Edits approved" + (f": {comment.strip()}" if comment.strip() else "")
    # The snapshot first: it is the published state the public is shown from now on.
    _record(trial, user=user, reason=reason, edit=False)
    trials_reindex(trial_ids=[trial.pk])
    return trial


@transaction.atomic
def trial_mark_verified(*, trial: Trial, user, on: date | None = None, comment: str = "") -> Trial:
    """A curator checked the record against its sources today."""
    _require(user)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    trial.last_verified = on or timezone.localdate()
    trial.save(update_fields=["last_verified", "updated_at"])
    if trial.workflow == Workflow.PUBLISHED and not trial.edited_since_review:
        # Its new date is public (the stored record, the "recently updated" order).
        public_record_touched(trial=trial)
    _event(trial, WorkflowAction.VERIFY, user, comment, trial.workflow)
    reason = "Marked verified" + (f": {comment.strip()}" if comment.strip() else "")
    _record(trial, user=user, reason=reason, edit=False)
    return trial


@transaction.atomic
def trial_revert(*, trial: Trial, revision_id: int, user, reason: str) -> Trial:
    """Bring the trial and its parts back to what they were in one of its revisions: fields,
    arms, outcomes, ids, sites, sources and publication links (parts added since are removed).
    The workflow state is not rolled back: reverting is an edit like any other, recorded with
    its reason, and on a published trial it goes to the reviewers' queue."""
    _require(user)
    if not reason.strip():
        raise ValidationError("Give a reason for reverting.")
    current = Trial.objects.select_for_update().get(pk=trial.pk)
    version = history.trial_versions(current).filter(revision_id=revision_id).first()
    if version is None:
        raise ValidationError("That version does not belong to this trial.")
    keep = {
        name: getattr(current, name)
        for name in (
            "workflow",
            "published_at",
            "reviewed_by_id",
            "created_by_id",
            "last_verified",
            "edited_since_review",
            "version",
        )
    }
    # Revert only this trial's objects, even if the revision also holds other trials (a bulk
    # action): other trials must not move.
    versions = [
        v
        for v in version.revision.version_set.select_related("content_type")
        if v.pk == version.pk
        or (
            v.content_type.model_class() in history.PARTS.values()
            and str(v.field_dict.get("trial_id")) == version.object_id
        )
    ]
    missing = _missing_references(versions)
    if missing:
        raise ValidationError(
            "That version cannot be restored: it names something that has since been deleted "
            f"({'; '.join(missing)}). Restore that first, or edit the trial by hand."
        )
    wanted = {(v.content_type.model_class(), v.object_id) for v in versions}
    for related_name, model in history.PARTS.items():
        for part in getattr(current, related_name).all():
            if (model, str(part.pk)) not in wanted:
                part.delete()
    try:
        with transaction.atomic():  # a savepoint: a clash leaves the trial as it was
            for v in sorted(versions, key=lambda v: v.pk != version.pk):  # the trial first
                v.revert()
    except IntegrityError as error:
        raise ValidationError(
            "That version cannot be restored: something in it is now used elsewhere (for "
            "example its slug or a registry id belongs to another trial). Change that first. "
            f"({error})"
        ) from error
    Trial.objects.filter(pk=current.pk).update(**keep)
    current.refresh_from_db()
    trials_reindex(trial_ids=[current.pk])
    when = timezone.localtime(version.revision.date_created).strftime("%d %b %Y %H:%M")
    _record(current, user=user, reason=f"Reverted to the version of {when}: {reason.strip()}")
    _event(current, WorkflowAction.REVERT, user, reason, current.workflow)
    return current


# Links a snapshot holds to rows outside the trial (terms, organisations, publications). The
# trial's own parts are restored with it; users may be gone and are kept as they are.
_OWN = {"trial", "created_by", "reviewed_by"}


def _missing_references(versions) -> list[str]:
    """What the snapshots point at that no longer exists: reverting to it would fail in the
    database (on PostgreSQL only at commit, past any savepoint)."""
    missing = []
    for v in versions:
        model = v.content_type.model_class()
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            if not field.is_relation or field.name in _OWN:
                continue
            value = v.field_dict.get(field.attname)
            ids = set(value if field.many_to_many else [value]) - {None, ""}
            if not ids:
                continue
            related = field.related_model
            found = set(related.objects.filter(pk__in=ids).values_list("pk", flat=True))
            missing += [
                f"{related._meta.verbose_name} #{pk}" for pk in sorted(ids - found, key=str)
            ]
    return missing


# The steps curators and reviewers take, as one table: the admin offers exactly these (buttons
# on a trial, bulk actions on the list), each only where `applies_to` holds and only to users
# with the permission, and runs them through `take_step`, so the two can never disagree.
@dataclass(frozen=True)
class WorkflowStep:
    name: str
    label: str  # the button on a trial's page
    bulk_label: str  # the bulk action on the list
    needs_publish: bool
    comment_required: bool

    def allowed_for(self, user) -> bool:
        return not self.needs_publish or user.has_perm(PUBLISH_PERMISSION)

    def applies_to(self, trial: Trial) -> bool:
        if self.name in TRANSITIONS:
            return trial.workflow in TRANSITIONS[self.name][0]
        if self.name == "approve_edits":
            return trial.workflow == Workflow.PUBLISHED and trial.edited_since_review
        return True  # mark_verified: any trial can be checked against its sources


def _step(name: str, label: str, bulk_label: str, *, comment_required: bool = False):
    needs_publish = TRANSITIONS[name][2] if name in TRANSITIONS else name == "approve_edits"
    return name, WorkflowStep(name, label, bulk_label, needs_publish, comment_required)


WORKFLOW_STEPS = dict(
    [
        _step("submit", "Submit for review", "Submit selected trials for review"),
        _step("publish", "Publish", "Publish selected trials"),
        _step(
            "send_back",
            "Send back to draft",
            "Send selected trials back to draft",
            comment_required=True,
        ),
        _step(
            "withdraw",
            "Withdraw from the public site",
            "Withdraw selected trials from the public site",
        ),
        _step(
            "approve_edits",
            "Approve edits made since publication",
            "Approve edits made since publication",
        ),
        _step(
            "mark_verified",
            "Mark verified against the sources today",
            "Mark selected trials verified today",
        ),
    ]
)


def steps_for(trial: Trial, user) -> list[WorkflowStep]:
    """The steps that make sense for this trial now and that this user may take."""
    return [s for s in WORKFLOW_STEPS.values() if s.allowed_for(user) and s.applies_to(trial)]


def take_step(*, step: str, trial: Trial, user, comment: str = "") -> Trial:
    if step in TRANSITIONS:
        return trial_transition(trial=trial, action=step, user=user, comment=comment)
    if step == "approve_edits":
        return trial_approve_edits(trial=trial, user=user, comment=comment)
    if step == "mark_verified":
        return trial_mark_verified(trial=trial, user=user, comment=comment)
    raise TransitionError(f"There is no workflow step called “{step}”.")
