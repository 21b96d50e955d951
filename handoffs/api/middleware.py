"""Every error answered on the API's paths is JSON, whoever produced it.

The API's own errors are shaped by ``handoffs.api.errors``. This catches the rest,
which Django or another middleware answers before or around the API's views with an
HTML page: an unknown path (404), a method an endpoint does not have (405, with its
``Allow`` header), a body over ``REQUEST_MAX_BYTES`` (413), an error outside the API's
views (500, also with ``DEBUG`` on, whose page would show a traceback). The status and
its headers stay; the body becomes ``{"detail": "..."}``, as the README documents.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PATH = "/api/"
SERVER_ERROR = "Server error. It has been logged; try again later."
# Headers of an error that tell the client what to do next, and how to keep it.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Cache-Control", "Vary")


def error_detail(status: int) -> str:
    details = {
        404: "Not found.",
        405: "Method not allowed.",
        413: f"The request body is larger than {settings.REQUEST_MAX_BYTES} bytes.",
    }
    if status >= 500:
        return SERVER_ERROR
    return details.get(status, HttpResponse(status=status).reason_phrase + ".")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code < 400 or is_json or not request.path.startswith(API_PATH):
            return response
        answer = JsonResponse({"detail": error_detail(response.status_code)})
        answer.status_code = response.status_code
        for header in KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer
