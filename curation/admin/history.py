"""A trial's history in the admin: every snapshot with who and why, what each changed, and
revert (with the parts) through the service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from curation.forms import RevertForm
from trials import history, services


class HistoryMixin:
    # History: every snapshot with who and why; each shows what changed from the one before
    # and can be restored (with its parts).
    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/<int:revision_id>/",
                self.admin_site.admin_view(self.revision_view),
                name="trials_trial_revision",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        trial = self.get_object(request, object_id)
        if trial is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, trial):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/trials/trial/history.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": trial,
                "title": f"History: {trial}",
                "versions": history.trial_versions(trial),
            },
        )

    def revision_view(self, request, object_id, revision_id):
        trial = self.get_object(request, object_id)
        if trial is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, trial):
            raise PermissionDenied
        versions = list(history.trial_versions(trial))
        index = next((i for i, v in enumerate(versions) if v.revision_id == revision_id), None)
        if index is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        version = versions[index]
        previous = versions[index + 1] if index + 1 < len(versions) else None
        can_revert = index > 0 and self.has_change_permission(request, trial)
        form = RevertForm(request.POST or None)
        if request.method == "POST":
            if not can_revert:
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.trial_revert(
                        trial=trial,
                        revision_id=revision_id,
                        user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    self.message_user(
                        request, "The trial and its parts were reverted.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:trials_trial_change", args=[trial.pk])
                    )
        current = history.snapshot(versions[0])
        return TemplateResponse(
            request,
            "admin/trials/trial/revision.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": trial,
                "title": f"Version of {version.revision.date_created:%d %b %Y %H:%M}: {trial}",
                "version": version,
                "changes": history.diff(
                    history.snapshot(previous) if previous else None, history.snapshot(version)
                ),
                "revert_changes": history.diff(current, history.snapshot(version))
                if can_revert
                else [],
                "can_revert": can_revert,
                "form": form,
            },
        )
