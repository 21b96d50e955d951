"""Faults against real processes: nothing that was due is lost, and beat keeps running.

Each test breaks one thing the way it breaks in production (Redis dies with its
data, PostgreSQL drops every connection and refuses new ones, the worker is killed
in the middle of sending) and checks what a user would notice: the request that
owed an email answered at once, and the email arrived once the fault was over.
"""

import http.client
import re
import shutil
import signal
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from tests.faults.stack import PERSON, SLUG, SWEEP_SECONDS, FaultStack, wait_for
from tests.servers import database_url, signal_group

# Long enough for beat to tick several times and to meet the fault more than once.
OUTAGE_SECONDS = 3 * SWEEP_SECONDS + 12


@pytest.fixture(scope="module")
def prepared():
    stack = FaultStack(server_url=database_url())
    stack.database_create()
    yield stack
    stack.database_drop()
    shutil.rmtree(stack.folder, ignore_errors=True)


@pytest.fixture
def stack(prepared):
    prepared.redis_start()
    yield prepared
    prepared.stop()
    # Each test starts with an empty broker and no email in the outbox.
    for path in (prepared.folder / "redis").glob("**/*"):
        if path.is_file():
            path.unlink()
    prepared.sql("DELETE FROM outbox_outboundemail")


def unsent(stack: FaultStack, address: str) -> list[tuple]:
    return stack.sql(
        "SELECT id, attempts FROM outbox_outboundemail "
        'WHERE sent_at IS NULL AND to_jsonb("to") @> to_jsonb(%s::text)',
        [address],
    )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str


def ask_for_a_password_reset(stack: FaultStack, address: str) -> Answer:
    """The form as a browser fills it: a GET for the CSRF cookie and token, then the POST."""
    host = {"Host": f"{SLUG}.localhost:{stack.port}"}

    def request(method: str, body: str | None = None, **headers: str) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        try:
            connection.request(
                method, "/accounts/password-reset/", body=body, headers=host | headers
            )
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read().decode())
        finally:
            connection.close()

    form = request("GET")
    assert form.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    cookie = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"])[1]
    return request(
        "POST",
        urlencode({"csrfmiddlewaretoken": token, "email": address}),
        **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"},
    )


def test_an_email_owed_while_redis_is_down_is_sent_once_it_is_back(stack):
    stack.web_start()
    stack.worker_start()
    stack.beat_start()
    wait_for(stack.beat_last_tick, timeout=60, what="beat ticks")

    stack.redis_crash_and_forget()
    started = time.monotonic()
    response = ask_for_a_password_reset(stack, PERSON)
    answered_in = time.monotonic() - started

    # The person is told at once that the email is on its way...
    assert response.status == 302, response.text[:500]
    assert response.headers["Location"].endswith("/accounts/password-reset/sent/")
    assert answered_in < 10
    # ...it is owed in PostgreSQL, and nothing can have sent it: there is no broker.
    assert len(unsent(stack, PERSON)) == 1
    assert stack.delivered(PERSON) == []

    time.sleep(2 * SWEEP_SECONDS)
    stack.redis_start()  # empty: whatever the broker held is gone

    wait_for(lambda: stack.delivered(PERSON), timeout=90, what="the reset email arrives")
    (message,) = stack.delivered(PERSON)
    assert "/accounts/reset/" in message
    assert unsent(stack, PERSON) == []


def test_beat_survives_the_database_going_away_and_sends_what_fell_due(stack):
    stack.worker_start()
    stack.beat_start()
    wait_for(stack.beat_last_tick, timeout=60, what="beat ticks")
    wait_for(
        lambda: "outbox-sweep" in stack.log("beat").read_text(),
        timeout=60,
        what="beat sends a sweep",
    )
    # Due in the middle of the outage, and only a sweep can send it.
    address = "due-during-outage@acme.test"
    stack.manage("owe", address, str(OUTAGE_SECONDS / 2))

    with stack.database_down():
        time.sleep(OUTAGE_SECONDS)
        assert stack.alive("beat"), stack.log("beat").read_text()[-3000:]
        assert stack.alive("worker"), stack.log("worker").read_text()[-3000:]
    back = time.time()

    # Beat met the outage (so this test tested something) and lived on.
    assert "Database unavailable" in stack.log("beat").read_text()
    wait_for(
        lambda: stack.delivered(address), timeout=90, what="the email due in the outage arrives"
    )
    assert stack.alive("beat")
    assert stack.beat_last_tick() > back
    assert unsent(stack, address) == []


def test_a_worker_killed_while_sending_leaves_the_email_to_be_sent_again(stack):
    stack.worker_start(FAULTS_SEND_SECONDS="60")
    stack.beat_start()
    address = "killed-mid-send@acme.test"
    (email_id,) = [int(stack.manage("owe", address, "0"))]

    wait_for(stack.sends_begun, timeout=60, what="the worker starts sending")
    signal_group(stack.processes["worker"].pid, signal.SIGKILL)
    stack.processes.pop("worker").wait()

    # Not marked sent (it was not), and not stuck: the row is free for the next try.
    assert stack.delivered(address) == []
    assert [row[0] for row in unsent(stack, address)] == [email_id]
    assert stack.sql(
        "SELECT id FROM outbox_outboundemail WHERE id = %s FOR UPDATE NOWAIT", [email_id]
    ) == [(email_id,)]

    stack.worker_start()  # a restarted worker, with a mail server that answers
    wait_for(lambda: stack.delivered(address), timeout=90, what="the email is sent again")
    assert unsent(stack, address) == []
