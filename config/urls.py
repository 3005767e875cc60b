from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

admin.site.site_header = "Cell Therapy Trial Tracker — curation"
admin.site.site_title = "Trial Tracker admin"
admin.site.index_title = "Curation"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that do not name an icon (the admin's).
    # (Resolved per request: the hashed name exists only after collectstatic.)
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    # The read-only JSON API (browse/api/), part of the public site.
    path("api/v1/", include("browse.api.urls")),
    path("", include("browse.urls")),
]
