"""A creating form counts once, however often it is posted.

Each rendering of a creating form carries a fresh token (``{% submission_token %}``).
The first post of a token claims it, in the same transaction as what the form
creates; a repeat (a double click, a resent request, a browser retry) finds the
claim and creates nothing. Claims are kept for ``KEEP_DAYS``.
"""

import uuid

from django.conf import settings
from django.db import models

KEEP_DAYS = 7


class Submission(models.Model):
    token = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where the first post sent the person (its redirect), to send a repeat there too.
    result_url = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.token} by {self.user_id}"
