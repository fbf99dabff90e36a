"""SMTP connections for a newsletter to each subscriber: one kept open for many messages (SmtpSession),
and several of them at once (``send --connections N``, deliver_each).

Why several: each message waits for the server's replies (MAIL, RCPT, DATA and the end of the
data, one round trip each), and a relay across a network answers in milliseconds to tenths of a
second. Threads are enough to overlap that waiting; the CPU a message costs (its MIME part,
about 4 ms) still runs one at a time.

What exactly-once means with N connections: every delivery the server accepted is recorded by the
one thread that writes the journal before its connection takes the next subscriber, so a send that
is killed and run again repeats only the messages that were on their way at the kill: at most one
per connection. A message whose end of data was sent but whose reply had not come back may or may
not have been taken by the server (RFC 1047), and no journal can know which; with one connection
that is at most one message per kill.
"""

from __future__ import annotations

import queue
import smtplib
import threading
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import TypeVar

from ..config import mail
from .smtp import SmtpSettings, close_connection, decoded_refusals, explain, open_connection, reply_text, wire_bytes

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

MOST_CONNECTIONS = mail.MOST_CONNECTIONS


class SmtpSession:
    """One connection for many messages (a newsletter to each subscriber): connected, secured and logged
    in once, and again after the server drops it. ``deliver`` gives the server's answer for one message
    and one recipient instead of raising, so a refusal of one subscriber never stops the others."""

    def __init__(self, settings: SmtpSettings) -> None:
        settings.check_login()
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            close_connection(self.smtp)
            self.smtp = None

    def deliver(self, message: EmailMessage, sender: str, recipient: str) -> tuple[int, str]:
        """(code, reply): 250 when the server accepted the message for ``recipient``, else its refusal
        (4xx: try again later; 5xx: it will not take it). A lost connection is opened again once; a
        server that cannot be reached or refuses the sender raises SendError (it would refuse them all)."""
        data, utf8 = wire_bytes(message, [sender, recipient])
        options = ["SMTPUTF8"] if utf8 else []
        for attempt in (1, 2):
            if self.smtp is None:
                self.smtp = open_connection(self.settings)
            try:
                self.smtp.sendmail(sender, [recipient], data, mail_options=options)
                return 250, "accepted"
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = decoded_refusals(exc.recipients).get(recipient, (550, "refused"))
                return code, text
            except smtplib.SMTPDataError as exc:
                return exc.smtp_code, reply_text(exc).split(" ", 1)[-1]
            except smtplib.SMTPSenderRefused as exc:
                raise explain(exc, self.settings) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.smtp.close()
                self.smtp = None
                if attempt == 2:
                    raise explain(exc, self.settings) from None
        raise AssertionError("unreachable")


class Pace:
    """At most ``rate`` messages a second over every connection together (None: as fast as the server
    takes them)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:  # each caller takes the next free slot, then sleeps until it comes
            slot = max(self.next, time.monotonic())
            self.next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def deliver_each(
    jobs: Sequence[Job],
    send: Callable[[SmtpSession, Job], Outcome],
    record: Callable[[Job, Outcome], None],
    settings: SmtpSettings,
    connections: int = 1,
) -> None:
    """``send(session, job)`` for every job over ``connections`` connections, and ``record(job, outcome)``
    for each in the calling thread (the journal's SQLite connection stays in the thread that opened it),
    before that connection takes its next job. The first error of any connection (SendError: the server
    cannot be reached, or refuses the sender) stops them all once their message in flight is recorded,
    and is raised here."""
    if connections <= 1 or len(jobs) <= 1:
        with SmtpSession(settings) as session:
            for job in jobs:
                record(job, send(session, job))
        return
    todo = iter(jobs)
    taking = threading.Lock()
    stop = threading.Event()
    results: queue.Queue[tuple[Job, Outcome, threading.Event] | BaseException | None] = queue.Queue()

    def work() -> None:
        try:
            with SmtpSession(settings) as session:
                while not stop.is_set():
                    with taking:
                        job = next(todo, None)
                    if job is None:
                        break
                    recorded = threading.Event()
                    results.put((job, send(session, job), recorded))
                    recorded.wait()  # never more than one unrecorded message on this connection
        except BaseException as exc:  # handed to the calling thread, which raises it
            results.put(exc)
        finally:
            results.put(None)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(connections, len(jobs)))]
    for worker in workers:
        worker.start()
    error: BaseException | None = None
    running = len(workers)
    while running:
        item = results.get()
        if item is None:
            running -= 1
        elif isinstance(item, BaseException):
            error = error or item
            stop.set()
        else:
            job, outcome, recorded = item
            try:
                record(job, outcome)
            except BaseException as exc:
                error = error or exc
                stop.set()
            finally:
                recorded.set()
    for worker in workers:
        worker.join()
    if error is not None:
        raise error
