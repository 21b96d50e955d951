"""The email outbox: every email is a row written in the transaction that caused it.

A business change and the email it owes commit together or not at all. After the
commit the worker is asked to deliver the row at once; if the broker is down, the
worker busy or killed, or the mail server refuses, the row stays due and a beat job
in every tenant delivers it later, with backoff. Nothing the user saw succeed loses
its email to a Redis restart, and a missing broker only delays it: the request
answers normally.

Delivery is at least once: a crash between the mail server accepting a message and
the row being marked sent sends it again. A row is locked while it is delivered
(``SELECT ... FOR UPDATE SKIP LOCKED``), so the immediate task and the sweep never
send the same row at the same time. Once sent, the body (which may hold a one-time
link) is blanked; recipient, subject and times stay for the admins' delivery page.
"""
