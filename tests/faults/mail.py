"""An email backend for the fault tests: each message a file, optionally slow to send.

With ``FAULTS_SEND_SECONDS`` above zero, a send first leaves ``<n>.sending`` in
``FAULTS_MAILDIR`` and then takes that long, so that a test can kill the worker
while it is talking to the "mail server"; a message that got through is ``<n>.eml``.
"""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(os.environ["FAULTS_MAILDIR"])
        folder.mkdir(parents=True, exist_ok=True)
        pause = float(os.environ.get("FAULTS_SEND_SECONDS", "0"))
        for message in email_messages:
            name = f"{time.time():.6f}-{uuid.uuid4().hex}"
            if pause:
                (folder / f"{name}.sending").write_text(", ".join(message.to))
                time.sleep(pause)
            (folder / f"{name}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
