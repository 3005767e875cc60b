"""The project's URLs plus one view that fails, to see the 500 page as the public would."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

SECRET_LOOKING_ERROR = "SELECT password FROM accounts_user; SECRET_KEY DATABASES /work/config"


def boom(request):
    raise RuntimeError(SECRET_LOOKING_ERROR)


urlpatterns = [path("boom/", boom), *project_urlpatterns]
