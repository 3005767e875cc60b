from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The tracker's staff user.

    Custom from the first migration so that fields (e.g. an ORCID for curators) can be added
    later without the painful swap Django warns about.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username", "id"]

    def __str__(self):
        return self.get_full_name() or self.username
