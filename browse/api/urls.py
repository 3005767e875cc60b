"""/api/v1/: included from browse/urls.py under the namespace "api"."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from browse.api import views

app_name = "api"

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("trials/", views.TrialListView.as_view(), name="trials"),
    path("trials/<slug:slug>/", views.TrialDetailView.as_view(), name="trial"),
    path("conditions/", views.ConditionListView.as_view(), name="conditions"),
    path("cell-types/", views.CellTypeListView.as_view(), name="cell-types"),
    path("routes/", views.RouteListView.as_view(), name="routes"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view()),  # newlines too
]
