"""Numbers given on the command line: every timeout is a finite number of seconds (more than 0; 0 too
for --lock-timeout) and --rate a pace that finishes, else a usage error (exit 2) naming the flag,
before anything is read, connected to or waited for."""

from __future__ import annotations

import pytest

from publisher.cli import build_parser


@pytest.fixture(scope="module")
def hubbed(site):
    """A site with a hub and a recipient: each command gets as far as its timeout without the flag check."""
    made = site(feeds={"hub": ["http://127.0.0.1:9/"]}, digest={"to": "a@example.org", "from": "b@example.org"})
    made.add("hello.md", date="2026-11-20")
    return made


# (command, flag) for every timeout flag, with what a command needs to get as far as using it.
TIMEOUTS = [("build", "--ping-timeout", ("--ping",)), ("send", "--smtp-timeout", ("--smtp-host", "127.0.0.1"))]
LOCK_TIMEOUTS = ["build", "digest", "send", "unsubscribe"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "0", "soon"])
@pytest.mark.parametrize("command, flag, needs", TIMEOUTS)
def test_a_timeout_that_is_not_a_finite_number_above_0_is_a_usage_error(hubbed, cli, command, flag, needs, value):
    ran = cli.on(hubbed, command, *needs, f"{flag}={value}")
    assert ran.code == 2, ran.err
    assert f"argument {flag}: '{value}' is not a number of seconds (more than 0)" in ran.err
    assert "bug" not in ran.err


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
@pytest.mark.parametrize("command", LOCK_TIMEOUTS)
def test_a_lock_timeout_that_is_not_a_finite_number_of_0_or_more_is_a_usage_error(hubbed, cli, command, value):
    extra = ["someone@example.org"] if command == "unsubscribe" else []
    ran = cli(command, *extra, "--config", hubbed.config_file, f"--lock-timeout={value}")
    assert ran.code == 2, ran.err
    assert f"argument --lock-timeout: '{value}' is not a number of seconds (0 or more)" in ran.err


def test_good_timeouts_are_taken_as_given():
    parser = build_parser()
    assert parser.parse_args(["build", "--ping-timeout", "0.3", "--lock-timeout", "0"]).ping_timeout == 0.3
    assert parser.parse_args(["build", "--lock-timeout", "0"]).lock_timeout == 0
    assert parser.parse_args(["send", "--smtp-timeout", "1e3"]).smtp_timeout == 1000


@pytest.mark.parametrize("value", ["1e-9", "0.0002", "0", "-1", "nan", "inf", "fast"])
def test_a_rate_that_would_never_finish_or_is_no_number_is_a_usage_error(hubbed, cli, value):
    ran = cli.on(hubbed, "send", "--subscribers", hubbed / "subscribers.csv", f"--rate={value}")
    assert ran.code == 2, ran.err
    assert f"argument --rate: '{value}' is not a rate of at least 1 message an hour (0.000278 a second)" in ran.err


def test_a_rate_of_one_message_an_hour_or_more_is_taken():
    parser = build_parser()
    assert parser.parse_args(["send", "--rate", str(1 / 3600)]).rate == 1 / 3600
    assert parser.parse_args(["send", "--rate", "50"]).rate == 50
