from django.urls import path

from browse.views import evidence, export, pages, trial

app_name = "trials"

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("trials/", pages.TrialListView.as_view(), name="trial-list"),
    # Before the detail pattern: "export.csv" would otherwise be taken for a slug.
    path("trials/export.csv", export.export_csv, name="export-csv"),
    path("trials/export.json", export.export_json, name="export-json"),
    path("trials/<slug:slug>/", trial.TrialDetailView.as_view(), name="trial-detail"),
    # POST only. One segment longer than the detail pattern, so the order of the two does not
    # matter: a trial slugged "report" is still /trials/report/.
    path("trials/<slug:slug>/report/", trial.ReportProblemView.as_view(), name="report"),
    path("conditions/<slug:slug>/", pages.ConditionDetailView.as_view(), name="condition-detail"),
    path(
        "conditions/<slug:slug>/evidence/",
        evidence.ConditionEvidenceView.as_view(),
        name="condition-evidence",
    ),
    path(
        "conditions/<slug:slug>/evidence.csv",
        evidence.condition_evidence_csv,
        name="condition-evidence-csv",
    ),
    path("products/<slug:slug>/", evidence.ProductDetailView.as_view(), name="product-detail"),
    path("cell-types/<slug:slug>/", pages.CellTypeDetailView.as_view(), name="cell-type-detail"),
    path("routes/<slug:slug>/", pages.RouteDetailView.as_view(), name="route-detail"),
]
