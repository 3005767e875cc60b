from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Cell Therapy Trial Tracker — curation"
admin.site.site_title = "Trial Tracker admin"
admin.site.index_title = "Curation"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("trials.urls")),
]
