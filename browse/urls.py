from django.contrib.sitemaps.views import sitemap
from django.urls import path

from browse.sitemaps import SITEMAPS
from browse.views import evidence, export, feed, pages, seo, trial

app_name = "trials"

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("trials/", pages.TrialListView.as_view(), name="trial-list"),
    # Before the detail pattern: "export.csv" and "feed" would otherwise be taken for slugs
    # ("feed" is a reserved slug: services never give it to a trial).
    path("trials/export.csv", export.export_csv, name="export-csv"),
    path("trials/export.json", export.export_json, name="export-json"),
    path("trials/export.ris", export.export_ris, name="export-ris"),
    path("trials/feed/", feed.TrialFeed(), name="feed"),
    path("trials/<slug:slug>/", trial.TrialDetailView.as_view(), name="trial-detail"),
    # POST only. One segment longer than the detail pattern, so the order of the two does not
    # matter: a trial slugged "report" is still /trials/report/.
    path("trials/<slug:slug>/report/", trial.ReportProblemView.as_view(), name="report"),
    path("trials/<slug:slug>/cite.ris", trial.cite_ris, name="cite-ris"),
    path("trials/<slug:slug>/cite.bib", trial.cite_bibtex, name="cite-bibtex"),
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
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", seo.robots_txt, name="robots"),
]
