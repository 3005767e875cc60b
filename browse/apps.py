from django.apps import AppConfig


class BrowseConfig(AppConfig):
    """The public site: home, list, browse pages, trial pages, exports. No models: it reads
    `trials` (published records only) and writes nothing but problem reports, through
    `trials.services`."""

    name = "browse"
    verbose_name = "Public site"
