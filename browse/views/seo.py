"""For search engines: robots.txt (the sitemap is django.contrib.sitemaps, in browse/urls.py)."""

from django.http import HttpResponse
from django.urls import reverse


def robots_txt(request):
    lines = [
        "User-agent: *",
        # Curators' pages, the data downloads and the API are for people and programs that
        # ask for them, not for crawling.
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /trials/export.",
        "Disallow: /trials/*/cite.",
        "Allow: /",
        f"Sitemap: {request.build_absolute_uri(reverse('trials:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
