"""Review workflow in the admin: a button per step on a trial's page and a bulk action per step
on the list, both from the services' one table of steps (`services.WORKFLOW_STEPS`). Each asks
for a comment on a confirmation page, then calls the service, which checks the permission on
the server again."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from curation.forms import TransitionForm
from trials import services


def _bulk_action(step: services.WorkflowStep):
    def action(modeladmin, request, queryset):
        return modeladmin._bulk_step(request, queryset, step.name)

    action.__name__ = step.name
    permission = "publish" if step.needs_publish else "change"
    return admin.action(description=step.bulk_label, permissions=[permission])(action)


class WorkflowMixin:
    actions = [_bulk_action(step) for step in services.WORKFLOW_STEPS.values()]

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        trial = self.get_object(request, object_id)
        steps = services.steps_for(trial, request.user) if trial else []
        extra_context = {
            **(extra_context or {}),
            "workflow_steps": [(step.name, step.label) for step in steps],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Review log")
    def review_log(self, obj):
        """Who moved the trial through review and what they said (why it was sent back)."""
        events = obj.events.select_related("user")[:20] if obj.pk else []
        if not events:
            return "—"
        return format_html(
            "<ul class='review-log'>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> by {} on {}{}</li>",
                (
                    (
                        event.get_action_display(),
                        event.user.get_username() if event.user else "system",
                        timezone.localtime(event.created_at).strftime("%d %b %Y %H:%M"),
                        f": {event.comment}" if event.comment else "",
                    )
                    for event in events
                ),
            ),
        )

    # Workflow pages: each step asks for a comment on a confirmation page (required to send a
    # trial back), then calls the service, which re-checks the permission on the server.
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/workflow/<str:step>/",
                wrap(self.workflow_view),
                name="trials_trial_workflow",
            ),
            *super().get_urls(),
        ]

    def _workflow_page(self, request, trials, step, form, **context):
        label = services.WORKFLOW_STEPS[step].label
        return TemplateResponse(
            request,
            "admin/trials/trial/workflow.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{label}: are you sure?",
                "step": step,
                "step_label": label,
                "trials": trials,
                "form": form,
                **context,
            },
        )

    def _run_steps(self, request, trials, step, comment) -> int:
        done = 0
        for trial in trials:
            try:
                services.take_step(step=step, trial=trial, user=request.user, comment=comment)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(request, text, messages.ERROR)
        if done:
            label = services.WORKFLOW_STEPS[step].label
            self.message_user(request, f"{label}: {done} trial(s).", messages.SUCCESS)
        return done

    def workflow_view(self, request, object_id, step):
        trial = self.get_object(request, object_id)
        if trial is None or step not in services.WORKFLOW_STEPS:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, trial):
            raise PermissionDenied
        comment_required = services.WORKFLOW_STEPS[step].comment_required
        if request.method == "POST":
            form = TransitionForm(request.POST, comment_required=comment_required)
            if form.is_valid():
                self._run_steps(request, [trial], step, form.cleaned_data["comment"])
                return HttpResponseRedirect(reverse("admin:trials_trial_change", args=[trial.pk]))
        else:
            form = TransitionForm(comment_required=comment_required)
        return self._workflow_page(request, [trial], step, form, single=True)

    def _bulk_step(self, request, queryset, step):
        comment_required = services.WORKFLOW_STEPS[step].comment_required
        if request.POST.get("confirmed") == "yes":
            form = TransitionForm(request.POST, comment_required=comment_required)
            if form.is_valid():
                self._run_steps(request, list(queryset), step, form.cleaned_data["comment"])
                return None
        else:
            form = TransitionForm(comment_required=comment_required)
        return self._workflow_page(request, list(queryset), step, form, single=False)
