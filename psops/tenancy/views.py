from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET"])
def landing(request: HttpRequest) -> HttpResponse:
    """The public host's page: what PS Ops is, and where an organization signs in."""
    return render(request, "public/landing.html")
