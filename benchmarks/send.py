"""Time `publisher send --subscribers` over 1 and over N SMTP connections, and count what kills cost.

    .venv/bin/python benchmarks/send.py                                  # 0 and 10 ms a reply, 1 and 8 connections
    .venv/bin/python benchmarks/send.py --latency 0.02 --subscribers 1000 --kills 10
    .venv/bin/python benchmarks/send.py --latency 0.01 --kills 10 --store-late   # a server that drops on a kill

The server is aiosmtpd in a process of its own on 127.0.0.1 (so it never shares the sender's
interpreter), accepting everything and logging each message's recipient and arrival time. A relay
across a network answers each command after a round trip and the end of the data after it has
stored the message; ``--latency`` makes the local server wait that long before each reply to MAIL,
RCPT and the end of the data (0: loopback speed, where the CPU of both processes is the limit).
Like Postfix, it keeps a message once its end of data arrived, before it replies; with
``--store-late`` it keeps it only after its wait, as aiosmtpd does when its handler awaits before
storing: a message whose sender is gone by then (a kill) is dropped, as Exim drops one whose
connection it finds closed after the final dot.

The site is the bundled one (content/, publisher.toml, every article: 37 KB of HTML a message),
with ``unsubscribe_url`` carrying ``{token}``. Each figure is a fresh state folder and one send of
the issue to every subscriber; its rate is messages a second between the first and the last
arrival (the start-up and the rendering, the same for every figure, left out) and its CPU time is
the sending process's.

Kills: the same send is killed (SIGKILL) ``--kills`` times at random moments once messages flow,
and run again each time; the last run finishes. Then every subscriber must have got the issue at
least once, and the duplicates are counted: at most one per kill.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOW = "2026-12-01T00:00:00+00:00"


def serve(port_file: Path, log_file: Path, latency: float, late: bool = False) -> None:
    """The server process: aiosmtpd until killed, one log line a message (``late``: stored after the wait)."""
    from aiosmtpd.controller import Controller

    log = open(log_file, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - open until the process is killed

    class Relay:
        async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's name)
            await asyncio.sleep(latency)
            envelope.mail_from = address
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            await asyncio.sleep(latency)
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            if not late:  # queued at its end of data, as Postfix does
                log.write(f"{envelope.rcpt_tos[0]}\t{time.time():.6f}\n")
            await asyncio.sleep(latency)
            if late:  # only now: a client gone during the wait cancels this handler, and the message is lost
                log.write(f"{envelope.rcpt_tos[0]}\t{time.time():.6f}\n")
            return "250 2.0.0 Ok: queued"

    with socket.socket() as probe:  # a free port (aiosmtpd's Controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Relay(), hostname="127.0.0.1", port=port)
    controller.start()
    port_file.write_text(str(port))
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


class Server:
    def __init__(self, work: Path, latency: float, late: bool = False) -> None:
        self.log = work / f"arrivals-{latency}.log"
        self.log.write_text("")
        port_file = work / "port"
        port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port_file), str(self.log), str(latency), str(int(late))]
        )
        while not (port_file.exists() and port_file.read_text()):
            if self.process.poll() is not None:
                raise SystemExit("the SMTP server did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def arrivals(self) -> list[tuple[str, float]]:
        lines = self.log.read_text().splitlines()
        return [(rcpt, float(at)) for rcpt, at in (line.split("\t") for line in lines)]

    def reset(self) -> None:
        self.log.write_text("")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def make_site(work: Path, subscribers: int) -> Path:
    site = work / "site"
    shutil.copytree(ROOT / "content", site / "content")
    text = (ROOT / "publisher.toml").read_text(encoding="utf-8")
    text = text.replace(
        'unsubscribe_url = "https://aiphotoprompt.example.org/unsubscribe"',
        'unsubscribe_url = "https://aiphotoprompt.example.org/unsubscribe?token={token}"',
    )
    (site / "publisher.toml").write_text(text, encoding="utf-8")
    with open(site / "subscribers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name"])
        writer.writerows([f"reader{i}@example.org", f"Reader {i}"] for i in range(subscribers))
    return site


def send_command(site: Path, port: int, connections: int) -> list[str]:
    publisher = str(Path(sys.executable).parent / "publisher")
    return [
        publisher,
        "send",
        "--subscribers",
        "subscribers.csv",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--connections",
        str(connections),
        "--days",
        "3650",
        "--now",
        NOW,
        "-q",
    ]


ENV = {**os.environ, "PUBLISHER_UNSUBSCRIBE_SECRET": "a benchmark secret"}


def fresh(site: Path) -> None:
    shutil.rmtree(site / ".publisher", ignore_errors=True)
    shutil.rmtree(site / "feeds", ignore_errors=True)


def rate(site: Path, server: Server, connections: int) -> tuple[float, float, int]:
    """(messages a second, CPU seconds of the send, messages) for one whole send."""
    fresh(site)
    server.reset()
    before = os.times()
    done = subprocess.run(send_command(site, server.port, connections), cwd=site, env=ENV, capture_output=True)
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"the send failed ({done.returncode}): {done.stderr.decode()}")
    arrived = server.arrivals()
    times = sorted(at for _, at in arrived)
    span = times[-1] - times[0]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return (len(times) - 1) / span, cpu, len(times)


def kills(site: Path, server: Server, connections: int, count: int, subscribers: int) -> str:
    """Kill the send ``count`` times at random moments, run it to the end, and say what arrived."""
    fresh(site)
    server.reset()
    chance = random.Random(connections)
    for _ in range(count):
        seen = len(server.arrivals())
        proc = subprocess.Popen(
            send_command(site, server.port, connections),
            cwd=site,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while len(server.arrivals()) == seen and proc.poll() is None:  # until messages flow
            time.sleep(0.01)
        time.sleep(chance.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(send_command(site, server.port, connections), cwd=site, env=ENV, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"the last send failed ({done.returncode}): {done.stderr.decode()}")
    got = Counter(rcpt for rcpt, _ in server.arrivals())
    missed = subscribers - len(got)
    duplicates = sum(n - 1 for n in got.values())
    return f"{count} kills: {missed} missed, {duplicates} duplicates ({duplicates / count:.1f} a kill)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=600, help="list size (default: 600)")
    parser.add_argument(
        "--latency",
        type=float,
        nargs="+",
        default=[0.0, 0.01],
        help="seconds the server waits before each reply (default: 0 and 0.01)",
    )
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8], help="(default: 1 and 8)")
    parser.add_argument("--kills", type=int, default=5, help="kills per connection count, at the last latency")
    parser.add_argument(
        "--store-late",
        action="store_true",
        help="the server stores each message after its wait, so one whose sender is gone by then is lost (as Exim)",
    )
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.serve[0]), Path(args.serve[1]), float(args.serve[2]), args.serve[3] == "1")
        return 0
    with tempfile.TemporaryDirectory(prefix="publisher-send-bench-") as folder:
        work = Path(folder)
        site = make_site(work, args.subscribers)
        print(f"{args.subscribers} subscribers, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print("| reply latency | connections | messages/s | CPU ms a message, whole process | × one connection |")
        print("| --- | --- | --- | --- | --- |")
        for latency in args.latency:
            server = Server(work, latency, args.store_late)
            try:
                one = None
                for connections in args.connections:
                    per_second, cpu, sent = rate(site, server, connections)
                    one = one or per_second
                    print(
                        f"| {latency * 1000:.0f} ms | {connections} | {per_second:.1f} | {cpu / sent * 1000:.1f} "
                        f"| {per_second / one:.2f} |"
                    )
                if latency == args.latency[-1] and args.kills:
                    for connections in args.connections:
                        result = kills(site, server, connections, args.kills, args.subscribers)
                        print(f"kills, {connections} connection(s), {latency * 1000:.0f} ms: {result}")
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
