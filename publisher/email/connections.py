"""SMTP connections for a newsletter to each subscriber: one kept open for many messages (SmtpSession),
and several of them at once (``send --connections N``, deliver_each).

Why several: each message waits for the server's replies (MAIL, RCPT, DATA and the end of the
data, one round trip each), and a relay across a network answers in milliseconds to tenths of a
second. Threads are enough to overlap that waiting; the CPU a message costs (its MIME part,
about 4 ms) still runs one at a time.

What exactly-once means, with one connection or many: a delivery is recorded when the end of its
data (the final ``.``) is handed to the server, not when the server's reply comes back. The
calling thread writes every connection's ``.`` and commits that row before it writes the next
one, so at any instant at most one message is on the wire without a row: a send killed and run
again repeats at most one message, however many connections there were. A message whose ``.``
was written counts as delivered even when its reply was never read (the duplicate of RFC 1047):
the kernel still sends what was written to a socket after the process is killed, and the keeper
(keeper.py) holds the connection open until the server answered, since some servers drop a
message whose client is gone before they replied. What that gives up: a refusal in the reply
window is not seen (docs/newsletter.md, "Exactly once").
"""

from __future__ import annotations

import queue
import re
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from functools import partial
from typing import TypeVar

from ..config import mail
from .keeper import Keeper
from .smtp import SmtpSettings, close_connection, explain, open_connection, wire_bytes

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

MOST_CONNECTIONS = mail.MOST_CONNECTIONS
END_OF_DATA = b".\r\n"
DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
UNREAD = 0  # deliver's code when the end of data was written but no reply was read: counted as delivered


class SmtpSession:
    """One connection for many messages (a newsletter to each subscriber): connected, secured and logged
    in once, and again after the server drops it. ``deliver`` gives the server's answer for one message
    and one recipient instead of raising, so a refusal of one subscriber never stops the others."""

    def __init__(
        self,
        settings: SmtpSettings,
        hand_over: Callable[[Callable[[], object]], None] | None = None,
        keeper: Keeper | None = None,
    ) -> None:
        settings.check_login()
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        # Runs the write of the end of data and its record in the calling thread (deliver_each's Caller.run),
        # one connection at a time; with one connection, right here.
        self.hand_over = hand_over or (lambda write: write())
        self.keeper, self.kept = keeper, -1  # kept: the connection's number at the keeper

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop(quit=True)

    def _open(self) -> smtplib.SMTP:
        smtp = open_connection(self.settings)
        if smtp.sock is not None:
            # The end of data is a write of its own after the message: Nagle's algorithm would hold it
            # until the server acknowledged the message, which it delays (40 ms on Linux) while it waits for more.
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.keeper is not None:
                self.kept = self.keeper.hold(smtp.sock)
        self.smtp = smtp
        return smtp

    def _drop(self, quit: bool = False) -> None:
        if self.smtp is None:
            return
        if self.keeper is not None and self.kept >= 0:
            self.keeper.release(self.kept)
            self.kept = -1
        if quit:
            close_connection(self.smtp)
        else:
            self.smtp.close()
        self.smtp = None

    def deliver(
        self, message: EmailMessage, sender: str, recipient: str, handed: Callable[[], None]
    ) -> tuple[int, str]:
        """(code, reply): 250 when the server accepted the message for ``recipient``, else its refusal
        (4xx: try again later; 5xx: it will not take it), or UNREAD when the end of data was written but
        the reply never came. ``handed()`` runs in the calling thread (see hand_over) just after the end of
        data was written, before any other connection writes its own; a message refused earlier never
        gets that far. A connection lost before the end of data is opened again once; a server that
        cannot be reached or refuses the sender raises SendError (it would refuse them all)."""
        data, utf8 = wire_bytes(message, [sender, recipient])
        options = ["SMTPUTF8"] if utf8 else []
        for attempt in (1, 2):
            smtp = self.smtp or self._open()
            try:
                refused = self._up_to_the_end(smtp, sender, recipient, data, options)
                if refused is not None:
                    return refused
                self.hand_over(partial(self._end_data, smtp, handed))
                break
            except smtplib.SMTPSenderRefused as exc:
                raise explain(exc, self.settings) from None
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                if attempt == 2:
                    raise explain(exc, self.settings) from None
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:  # recorded already: counted as delivered, never sent again
            self._drop()
            return UNREAD, str(exc) or type(exc).__name__
        if self.keeper is not None:
            self.keeper.answered(self.kept)
        if code != 250:
            self._reset(code)
        return code, " ".join(reply.decode("utf-8", "replace").split())

    def _up_to_the_end(
        self, smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes, options: list[str]
    ) -> tuple[int, str] | None:
        """smtplib's sendmail for one recipient, but for the final ``.``: None when the server has the whole
        message but its end, else its refusal of the recipient or of DATA (SMTPSenderRefused for the sender)."""
        smtp.ehlo_or_helo_if_needed()
        esmtp = [*([f"size={len(data)}"] if smtp.has_extn("size") else []), *options] if smtp.does_esmtp else []
        code, reply = smtp.mail(sender, esmtp)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code in (250, 251):
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code == 354:
                # RFC 5321 section 4.5.2: a line that starts with a dot gets another; the data ends with CRLF.
                body = DOT_AT_LINE_START.sub(b"..", data)
                smtp.send(body if body.endswith(b"\r\n") else body + b"\r\n")
                return None
        self._reset(code)
        return code, " ".join(reply.decode("utf-8", "replace").split())

    def _end_data(self, smtp: smtplib.SMTP, handed: Callable[[], None]) -> None:
        smtp.send(END_OF_DATA)
        if self.keeper is not None:  # a kill before this line finds no row: the message is sent again
            self.keeper.waiting(self.kept)
        handed()

    def _reset(self, code: int) -> None:
        """After a refusal: RSET for the next message, or a new connection after a 421 (the server is closing)."""
        if self.smtp is None:
            return
        if code == 421:
            self._drop()
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()


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


class Caller:
    """Runs functions in the thread that made it, for the connections' threads: the journal's SQLite
    connection stays in the thread that opened it, and one thread writing every connection's end of
    data and its record, one after the other, is what keeps at most one message unrecorded on the wire."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[Callable[[], object], list[BaseException], threading.Event] | None] = (
            queue.Queue()
        )

    def run(self, call: Callable[[], object]) -> None:
        """``call()`` in the calling thread, from a connection's thread: back once it ran (raising what it raised)."""
        raised: list[BaseException] = []
        done = threading.Event()
        self.calls.put((call, raised, done))
        done.wait()
        if raised:
            raise raised[0]

    def serve(self, workers: int) -> None:
        """Run what the connections ask until ``workers`` said they stopped (done())."""
        while workers:
            item = self.calls.get()
            if item is None:
                workers -= 1
                continue
            call, raised, done = item
            try:
                call()
            except BaseException as exc:  # handed back to the connection that asked, which stops
                raised.append(exc)
            finally:
                done.set()

    def done(self) -> None:
        self.calls.put(None)


def deliver_each(
    jobs: Sequence[Job],
    send: Callable[[SmtpSession, Job], Outcome],
    record: Callable[[Job, Outcome], None],
    settings: SmtpSettings,
    connections: int = 1,
) -> None:
    """``send(session, job)`` for every job over ``connections`` connections, and ``record(job, outcome)``
    for each in the calling thread (the journal's SQLite connection stays in the thread that opened it),
    before that connection takes its next job; so does the ``handed`` of each SmtpSession.deliver. The
    first error of any connection (SendError: the server cannot be reached, or refuses the sender) stops
    them all once their message in flight is recorded, and is raised here."""
    keeper = Keeper.start(settings.timeout)
    try:
        _deliver_each(jobs, send, record, settings, connections, keeper)
    finally:
        if keeper is not None:
            keeper.close()


def _deliver_each(
    jobs: Sequence[Job],
    send: Callable[[SmtpSession, Job], Outcome],
    record: Callable[[Job, Outcome], None],
    settings: SmtpSettings,
    connections: int,
    keeper: Keeper | None,
) -> None:
    if connections <= 1 or len(jobs) <= 1:
        with SmtpSession(settings, keeper=keeper) as session:
            for job in jobs:
                record(job, send(session, job))
        return
    todo = iter(jobs)
    taking = threading.Lock()
    stop = threading.Event()
    caller = Caller()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with SmtpSession(settings, caller.run, keeper) as session:
                while not stop.is_set():
                    with taking:
                        job = next(todo, None)
                    if job is None:
                        break
                    outcome = send(session, job)
                    caller.run(lambda: record(job, outcome))  # noqa: B023 - run before job changes
        except BaseException as exc:  # raised by the calling thread
            errors.append(exc)
            stop.set()
        finally:
            caller.done()

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(connections, len(jobs)))]
    for worker in workers:
        worker.start()
    caller.serve(len(workers))
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
