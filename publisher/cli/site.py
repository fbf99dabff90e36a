"""`publisher check` and `publisher init`: a content folder's problems, and a publisher.toml for an existing site.

Thin, as the rest of the command line: they call ``content.load.load_silently`` and ``content.survey.write_config``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..text import counted
from .common import DEFAULT_CONFIG, add_config_flag, config_from_args


def add_site_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = commands.add_parser(
        "check",
        help="list every article that cannot be published, and why (exit 1 if any)",
        description="Read every file under --content and print each problem (file, line, field, what was "
        "expected), whether or not an earlier build reported it; exit 1 if there is any, else print one line "
        '("12 articles, all publishable"). Writes nothing.',
    )
    check.add_argument("--content", metavar="DIR", help="folder of Markdown articles (default: from the config)")
    add_config_flag(check)
    check.set_defaults(run=run_check, out=None, quiet=0, verbose=0)

    init = commands.add_parser(
        "init",
        help="write a publisher.toml for an existing site's content folder",
        description="Look at the frontmatter of an existing folder of articles (and the generator's own "
        "configuration above it), pick the preset that fits (astro, hugo, jekyll, eleventy, pelican) and write a "
        "commented publisher.toml. An existing file is never overwritten.",
    )
    init.add_argument("--content", metavar="DIR", default="content", help="the folder of articles (default: content)")
    init.add_argument(
        "--config", metavar="FILE", default=DEFAULT_CONFIG, help=f"the file to write (default: ./{DEFAULT_CONFIG})"
    )
    init.add_argument("--url", help="the site's public address (default: from the generator's configuration)")
    init.add_argument("--title", help="the site's title (default: from the generator's configuration)")
    init.set_defaults(run=run_init, quiet=0, verbose=0)


def run_check(args: argparse.Namespace) -> int:
    from ..content.load import load_silently
    from ..select import select

    config = config_from_args(args)
    config.existing_content_folder()
    articles, errors = load_silently(config)
    problems = [e for e in errors if e.is_problem]  # files that are not articles at all are not problems
    for problem in problems:
        print(problem)
    if problems:
        print(counted(len(problems), "problem"), file=sys.stderr)
    else:  # one line: silence would not tell a person that it looked at anything
        drafts = sum(article.draft for article in articles)
        later = len(articles) - drafts - len(select(articles))
        waiting = [counted(drafts, "draft")] * bool(drafts) + [f"{later:,} dated later"] * bool(later)
        # build counts only what is published by now: say why the two figures differ
        kept = f" ({' and '.join(waiting)}, not in the feeds yet)" if waiting else ""
        print(f"{counted(len(articles), 'article')}, all publishable{kept}")
    return 1 if problems else 0


# Where generators keep their posts: Jekyll's _posts, Hugo's content/posts, an Astro blog's src/content/blog...
_POSTS = {"_posts", "posts", "post", "blog", "articles"}


def run_init(args: argparse.Namespace) -> int:
    from ..config.presets import PRESETS
    from ..content.survey import write_config

    target = Path(args.config)
    if not Path(args.content).is_dir():  # the default, content/, is Hugo's; say where the posts may be instead
        from ..errors import ConfigError

        here = [
            str(p)
            for pattern in ("*", "*/*", "src/content/*")  # src/content/blog: an Astro site's
            for p in sorted(Path().glob(pattern))
            if p.name in _POSTS and p.is_dir()
        ]
        hint = f" (here: {', '.join(here[:3])})" if here else ""
        raise ConfigError(
            f"--content: {args.content}: no such folder; pass --content DIR, the folder of the site's articles{hint}"
        )
    found = write_config(args.content, target, url=args.url, title=args.title)
    what = PRESETS[found.preset].generator if found.preset else "no preset fitted"
    print(f"wrote {target}: {found.files} files, {what}; check the permalink, then run `publisher build`")
    for note in found.notes:
        print(f"note: {note}")
    return 0
