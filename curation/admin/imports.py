"""Admin pages for registry imports: upload files, and settle registry values that differ from
what a curator entered."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from trials.ingest import citations, registry
from trials.ingest.parsers.errors import MAX_BYTES
from trials.ingest.registry import summary_lines
from trials.models import PublicationRole, RegistryRecord

MAX_FILES = 50


def _readable(value) -> str:
    """A registry or curated value as text a curator reads: parts one a line, each as
    "field: value" pairs without the empty ones."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return "\n".join(_readable(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{key}: {_readable(item)}" for key, item in value.items() if item not in (None, "", [])
        )
    return " ".join(str(value).split())


def _check_size(upload):
    """Refuse a file over the importers' limit before anything reads it."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB per file."
        )
    return upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(f, initial) for f in files if f]
        if not files:
            raise ValidationError("Choose at least one file.")
        if len(files) > MAX_FILES:
            raise ValidationError(f"Upload at most {MAX_FILES} files at a time.")
        for upload in files:
            _check_size(upload)
        return files


class CtgovUploadForm(forms.Form):
    files = MultipleFileField(
        label="Study JSON files",
        help_text="As downloaded from ClinicalTrials.gov (one study per file, or a search "
        "response with several). Up to 10 MB each.",
        widget=MultipleFileInput(attrs={"accept": ".json,application/json"}),
    )
    include_all = forms.BooleanField(
        label="Also import studies that are not cell therapy",
        required=False,
    )


class PendingFilter(admin.SimpleListFilter):
    title = "registry values waiting"
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return [("yes", "Some registry values wait for a curator"), ("no", "Nothing waiting")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(pending={})
        if self.value() == "no":
            return queryset.filter(pending={})
        return queryset


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin):
    list_display = [
        "identifier",
        "trial",
        "waiting",
        "last_imported_at",
        "last_fetched_at",
        "source_name",
    ]
    list_select_related = ["trial"]
    list_filter = [PendingFilter, "registry"]
    search_fields = ["identifier", "trial__title", "trial__acronym"]
    fields = [
        "identifier",
        "trial_link",
        "pending_table",
        "unmapped_list",
        "source_name",
        ("first_imported_at", "last_imported_at", "last_fetched_at"),
        "raw_json",
    ]
    readonly_fields = [
        "identifier",
        "trial_link",
        "pending_table",
        "unmapped_list",
        "source_name",
        "first_imported_at",
        "last_imported_at",
        "last_fetched_at",
        "raw_json",
    ]
    change_list_template = "admin/trials/registryrecord/change_list.html"

    def has_add_permission(self, request):
        return False  # records come from imports only

    @admin.display(description="Values waiting")
    def waiting(self, obj):
        return len(obj.pending) or ""

    @admin.display(description="Trial")
    def trial_link(self, obj):
        url = reverse("admin:trials_trial_change", args=[obj.trial_id])
        return format_html(
            '<a href="{}">{}</a> ({})', url, obj.trial, obj.trial.get_workflow_display().lower()
        )

    @admin.display(description="Not mapped (for the curator)")
    def unmapped_list(self, obj):
        if not obj.unmapped:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html("".join("<li>{}</li>" for _ in obj.unmapped), *obj.unmapped)
        )

    @admin.display(description="Registry says")
    def raw_json(self, obj):
        try:
            text = json.dumps(obj.raw, indent=2, ensure_ascii=False)
        except RecursionError:
            # A record kept before imports refused deep nesting (issue 11): say so, not 500.
            return "The record is nested too deeply to show; it was refused by later imports."
        return format_html(
            "<details><summary>The record as imported</summary><pre>{}</pre></details>", text
        )

    @admin.display(description="Registry values that differ from curated ones")
    def pending_table(self, obj):
        if not obj.pending:
            return "Nothing waiting: the trial agrees with the registry or follows it."
        rows = []
        for key, values in sorted(obj.pending.items()):
            settle = reverse("admin:trials_registryrecord_settle", args=[obj.pk, key])
            rows.append(
                format_html(
                    "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td>"
                    "<td><ul><li><a href='{}?choice=accept'>Use the registry's</a></li>"
                    "<li><a href='{}?choice=dismiss'>Keep the curated</a></li></ul></td></tr>",
                    key,
                    linebreaksbr(_readable(values.get("curated"))),
                    linebreaksbr(_readable(values.get("registry"))),
                    settle,
                    settle,
                )
            )
        return format_html(
            "<table><thead><tr><th scope='col'>Field</th><th scope='col'>Curated (kept)</th>"
            "<th scope='col'>Registry now says</th><th scope='col'>Settle</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html("".join("{}" for _ in rows), *rows),
        )

    # Read-only for everyone: records change only through imports and the settle page.
    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="trials_registryrecord_upload"),
            path(
                "<path:object_id>/settle/<str:key>/",
                wrap(self.settle_view),
                name="trials_registryrecord_settle",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not request.user.has_perm("trials.add_trial"):
            raise PermissionDenied
        results = []
        form = CtgovUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            for upload in form.cleaned_data["files"]:
                results.append(
                    registry.import_ctgov_file(
                        upload.read(),
                        name=upload.name,
                        user=request.user,
                        include_all=form.cleaned_data["include_all"],
                    )
                )
        return TemplateResponse(
            request,
            "admin/trials/registryrecord/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Import from ClinicalTrials.gov",
                "form": form,
                "results": results,
                "summaries": [summary_lines(result) for result in results],
            },
        )

    def settle_view(self, request, object_id, key):
        if not request.user.has_perm("trials.change_registryrecord"):
            raise PermissionDenied
        record = self.get_object(request, object_id)
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        choice = request.POST.get("choice") or request.GET.get("choice")
        if request.method == "POST" and choice in ("accept", "dismiss"):
            settle = registry.accept_pending if choice == "accept" else registry.dismiss_pending
            try:
                settle(record, key, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                done = "now uses the registry's value" if choice == "accept" else "keeps its value"
                self.message_user(request, f"{key}: the trial {done}.", messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:trials_registryrecord_change", args=[record.pk])
            )
        return TemplateResponse(
            request,
            "admin/trials/registryrecord/settle.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{record}: {key}",
                "record": record,
                "key": key,
                "choice": choice if choice in ("accept", "dismiss") else "accept",
                "values": record.pending.get(key),
                "curated": _readable((record.pending.get(key) or {}).get("curated")),
                "registry": _readable((record.pending.get(key) or {}).get("registry")),
            },
        )


class RisUploadForm(forms.Form):
    file = forms.FileField(
        label="RIS file",
        help_text="Exported from PubMed, Zotero, EndNote, Embase or Scopus. Up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ris,.txt"}),
    )
    trial = forms.CharField(
        label="Also link every record to this trial",
        required=False,
        help_text="Its slug or a registry id, e.g. NCT03280056. Records that name a registry id "
        "in their text are linked to that trial anyway.",
    )
    role = forms.ChoiceField(
        label="Role of the publications for the linked trials",
        choices=PublicationRole.choices,
        initial=PublicationRole.OTHER,
    )

    def clean_file(self):
        return _check_size(self.cleaned_data["file"])

    def clean_trial(self):
        reference = self.cleaned_data["trial"].strip()
        if not reference:
            return None
        trial = citations.find_trial(reference)
        if trial is None:
            raise ValidationError(f"No trial has the slug or registry id “{reference}”.")
        return trial


def ris_upload_view(model_admin, request):
    if not request.user.has_perm("trials.add_publication"):
        raise PermissionDenied
    form = RisUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = citations.import_ris_file(
            upload.read(),
            name=upload.name,
            user=request.user,
            trial=form.cleaned_data["trial"],
            role=form.cleaned_data["role"],
        )
    return TemplateResponse(
        request,
        "admin/trials/publication/upload_ris.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Import publications from a RIS file",
            "form": form,
            "result": result,
        },
    )
