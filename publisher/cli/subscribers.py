"""`publisher subscribers import|export|list`: the subscriber list in the newsletter's database, moved in
and out as CSV, and counted per status."""

from __future__ import annotations

import argparse
import io
import sys

from ..errors import ConfigError
from .common import add_config_flag, config_from_args


def add_subscribers_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser(
        "subscribers",
        help="the subscriber list in the newsletter's database: import, export (CSV) and counts",
        description="The subscribers in the newsletter's database (.publisher/newsletter.sqlite3), each with a "
        "status: pending, active, unsubscribed, bounced or complained. `send --subscribers` without a file "
        "sends to the active ones.",
    )
    add_config_flag(group)  # before the action (as `publisher subscribers --config X list`) or after it
    actions = group.add_subparsers(
        title="actions", metavar="ACTION", required=True, help="import, export or list (each has its --help)"
    )
    load = actions.add_parser(
        "import",
        help="add the subscribers of a CSV list (email, name, other columns as merge fields)",
        description="Add every row of a CSV list as an active subscriber (a `status` column, as `export` writes "
        "it, gives another). The email column takes name@example.org or Name <name@example.org>. An address "
        "that unsubscribed, bounced or complained stays so: importing an old list never signs anyone up again.",
    )
    load.add_argument("file", metavar="FILE.csv", help="the list: a header row, then one subscriber a row")
    load.set_defaults(run=run_import)
    dump = actions.add_parser(
        "export",
        help="write the subscribers as CSV (email, name, status, changed, soft_bounces, merge fields)",
        description="Write the subscribers as CSV, a list that `subscribers import` and `send --subscribers` "
        "read back.",
    )
    dump.add_argument("-o", "--output", metavar="FILE.csv", help="write here (replaced atomically), not stdout")
    dump.add_argument("--status", choices=STATUS_CHOICES, help="only the subscribers with this status")
    dump.set_defaults(run=run_export)
    count = actions.add_parser("list", help="how many subscribers have each status, and their soft bounces")
    count.set_defaults(run=run_list)
    for action in (load, dump, count):
        # SUPPRESS: an action without --config leaves the one given before it alone.
        action.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="configuration file")
        action.set_defaults(content=None, out=None, quiet=0, verbose=0)


# The store's STATUSES, written out: parsing the command line must not import the store (a build never does).
STATUS_CHOICES = ("pending", "active", "unsubscribed", "bounced", "complained")


def run_import(args: argparse.Namespace) -> int:
    from ..email.store import open_newsletter
    from ..email.subscribers import import_csv

    config = config_from_args(args)
    errors: list[str] = []
    with open_newsletter(config, lock=False) as db:  # one transaction: a send going on need not end first
        added, updated, kept = import_csv(db, args.file, errors)
    if not (added or updated or kept):
        raise ConfigError(f"{args.file}: no subscribers in the list")
    print(
        f"{args.file}: {added:,} added, {updated:,} already subscribed (updated), {kept:,} kept out "
        f"(unsubscribed, bounced or complained){f'; {len(errors):,} rows skipped' if errors else ''}"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..email.store import open_newsletter, subscribers
    from ..email.subscribers import export_csv
    from ..output import write_atomic

    config = config_from_args(args)
    with open_newsletter(config, lock=False) as db:
        records = subscribers(db, args.status)
    text = io.StringIO()
    export_csv(records, text)
    if args.output:
        write_atomic(args.output, text.getvalue().encode("utf-8"))
        print(f"{args.output}: {len(records):,} subscribers", file=sys.stderr)
    else:
        sys.stdout.write(text.getvalue())
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..email.store import counts, open_newsletter

    config = config_from_args(args)
    with open_newsletter(config, lock=False) as db:
        found = counts(db)
    width = len(f"{max(found.values()):,}")
    for status in STATUS_CHOICES:
        print(f"{status:<13}{found[status]:>{width},}")
    print(f"{'soft bounces':<13}{found['soft_bounces']:>{width},}")
    return 0
