"""``@submitted_once``: a repeated post of one rendering of a creating form creates nothing.

The view runs in a transaction with the claim of the form's token. A repeat of a
token already claimed does not run the view: htmx gets 204 (the first answer has
already been swapped in), a plain form is sent where the first post went. A view
that refuses its input (4xx) gives the claim back with everything else it would
have written, so the corrected form can be posted again.

Posts without a token (the API, scripts) are not guarded.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from psops.submissions.models import KEEP_DAYS, Submission

TOKEN_FIELD = "submission_token"  # noqa: S105 (a field name)
REPEAT_MESSAGE = "That was already saved; it was not saved twice."


def _token(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(TOKEN_FIELD, ""))
    except ValueError:
        return None


def _repeat_response(request: HttpRequest, earlier: Submission) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponse(status=204)
    messages.info(request, REPEAT_MESSAGE)
    return HttpResponseRedirect(earlier.result_url or request.get_full_path())


def submitted_once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        token = _token(request) if request.method == "POST" else None
        if token is None or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                # A concurrent first post holds the row until it commits; this waits.
                with transaction.atomic():
                    claim = Submission.objects.create(token=token, user=request.user)
            except IntegrityError:
                earlier = Submission.objects.filter(token=token, user=request.user).first()
                if earlier is None:  # someone else's token: not this person's form
                    return view(request, *args, **kwargs)
                return _repeat_response(request, earlier)
            response = view(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            elif response.has_header("Location"):
                claim.result_url = response["Location"][:500]
                claim.save(update_fields=["result_url"])
            return response

    return guarded


def submissions_purge() -> int:
    """Forget claims older than KEEP_DAYS; how many."""
    cutoff = timezone.now() - timedelta(days=KEEP_DAYS)
    deleted, _ = Submission.objects.filter(submitted_at__lt=cutoff).delete()
    return deleted
