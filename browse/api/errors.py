"""Every API error has the same JSON shape as a refused export: {"errors": ["…"]}."""

from rest_framework.views import exception_handler


def handle(exc, context):
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"errors": [str(response.data["detail"])]}
    return response
