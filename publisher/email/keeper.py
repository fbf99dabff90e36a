"""Keeps a send's SMTP connections open after the send is killed, until the server has answered the end
of data it was given, so that the message whose ``.`` was written reaches the server whatever its kind.

A delivery is recorded when its end of data is handed to the server (connections.py), and a send
killed before it read the reply counts it as delivered. That holds only if the server keeps the
message: Postfix does once it read the ``.``, but Exim deletes it when it finds the connection closed
before it replied ("SMTP connection lost after final dot"), and so does aiosmtpd when its handler is
still running. The kernel closes a killed process's sockets at once, so this small process (started
by the send, the standard library only) holds a copy of each connection: while the send lives it
only notes which connection waits for a reply; when the send is gone (the channel between them
closes, however the send ended) it closes the others at once and each waiting one as soon as the
server answered it (or after the SMTP timeout), then exits. It holds no lock and touches no file.
"""

from __future__ import annotations

import itertools
import logging
import select
import socket
import subprocess
import sys
import threading
import time

log = logging.getLogger("publisher")

HOLD, RELEASE, WAITING, ANSWERED = b"h", b"r", b"w", b"a"
NO_SIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)  # Linux's; where it is missing, so is the keeper (no SOCK_SEQPACKET)
# Seconds a note may wait for room in the channel: a keeper reads each in microseconds, so one that left
# the channel full this long has stopped (SIGSTOP, a debugger) and the send goes on without it.
STUCK = 5.0


class Keeper:
    """The send's side: one keeper process for a run of deliver_each, told about each connection."""

    def __init__(self, timeout: float) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            try:  # -I -S: no site packages and no user paths; the keeper needs only the standard library.
                self.process = subprocess.Popen(
                    [sys.executable, "-I", "-S", __file__, str(theirs.fileno()), str(timeout)],
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,  # it may outlive the send: never hold the send's output open
                    start_new_session=True,  # from its first instant: a Ctrl-C to the send's group is not for it
                )
            except BaseException:
                ours.close()
                raise
        ours.settimeout(STUCK)
        self.channel = ours
        self.lock = threading.Lock()  # the connections' threads tell it in turn
        self.numbers = itertools.count()

    @classmethod
    def start(cls, timeout: float) -> Keeper | None:
        """A keeper, or None where one cannot be started (a system without SOCK_SEQPACKET Unix sockets,
        such as macOS): the send goes on without it, and a killed send may then miss a subscriber whose
        server drops a message its client left before the reply."""
        try:
            return cls(timeout)
        except OSError as exc:
            log.warning('sending without a keeper process (%s): see docs/newsletter.md, "Exactly once"', exc)
            return None

    def hold(self, sock: socket.socket) -> int:
        """Give the keeper a copy of ``sock``; the number names it in the calls below."""
        number = next(self.numbers)
        self._tell(HOLD, number, [sock.fileno()])
        return number

    def waiting(self, number: int) -> None:
        """The end of data is about to be written on connection ``number``: keep it until it is answered."""
        self._tell(WAITING, number)

    def answered(self, number: int) -> None:
        self._tell(ANSWERED, number)

    def release(self, number: int) -> None:
        """The send closes connection ``number``: the keeper closes its copy too."""
        self._tell(RELEASE, number)

    def close(self) -> None:
        """The send is done: the keeper closes what it holds and exits."""
        self.channel.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a connection still waits for its reply: the keeper ends on its own
            pass

    def _tell(self, what: bytes, number: int, fds: list[int] | None = None) -> None:
        with self.lock:
            if self.channel.fileno() < 0:
                return
            try:  # MSG_NOSIGNAL: a keeper that is gone must not take the send with it (SIGPIPE)
                socket.send_fds(self.channel, [what + str(number).encode()], fds or [], NO_SIGNAL)
            except TimeoutError:  # stopped: let it go (it sees the channel closed, as for a send that ended)
                self.channel.close()
            except OSError:
                pass  # a safety net only: the send goes on without it


def keep(channel: socket.socket, timeout: float) -> None:
    """The keeper process: hold what it is given until the send's end of the channel closes."""
    held: dict[int, socket.socket] = {}
    waiting: set[int] = set()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(channel, 64, 1)
        except OSError:
            break
        if not message:
            break  # the send is gone: finished, failed or killed
        what, number = message[:1], int(message[1:])
        if what == HOLD and fds:
            held[number] = socket.socket(fileno=fds[0])
        elif what == RELEASE and number in held:
            held.pop(number).close()
            waiting.discard(number)
        elif what == WAITING:
            waiting.add(number)
        elif what == ANSWERED:
            waiting.discard(number)
    for number in [n for n in held if n not in waiting]:
        held.pop(number).close()  # between messages or in the middle of one: the server drops what it has
    deadline = time.monotonic() + timeout
    while held and time.monotonic() < deadline:
        ready, _, _ = select.select(list(held.values()), [], [], deadline - time.monotonic())
        for sock in ready:  # the server answered the end of data: it has decided, the connection can go
            number = next(n for n, s in held.items() if s is sock)
            held.pop(number).close()
    for sock in held.values():
        sock.close()


if __name__ == "__main__":
    keep(socket.socket(fileno=int(sys.argv[1])), float(sys.argv[2]))
