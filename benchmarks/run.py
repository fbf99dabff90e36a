"""Time publisher on a generated corpus against the obvious script and Hugo; print every figure.

    .venv/bin/python benchmarks/run.py --articles 10000

Every figure is the median wall time of ``--runs`` runs (default 5), each run a fresh process (publisher's
modules compiled to bytecode first, as an installed publisher's are), with
its median CPU time (user + system, less disturbed by other processes on the machine) and peak
resident set size (the largest ru_maxrss of those runs), then its ratio to the baseline
(f) and to Hugo (g). The page cache is warm (the corpus was just written or read); nothing here
drops it, since that needs root and would slow every other process on the machine.

  (a) cold build: no state folder, empty output folder
  (b) warm build, nothing changed (and a check that no output file was rewritten)
  (c) warm build after one article changed (the newest, so the feeds change too)
  (d) warm build after one article was added
  (e) the 7-day digest (``publisher digest --days 7``), when this publisher has it
  (f) the baseline: benchmarks/baseline.py, the same libraries without publisher
  (g) Hugo building only its RSS for the same folder, when ``hugo`` is installed
  (h) a library caller's second call through the public stages with a ``publisher.Store``, the
      articles unchanged (and a check that no output file was rewritten)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_corpus import make_corpus  # noqa: E402 - a sibling script, not a package

# The corpus ends on 2025-12-29: this moment makes every article published and the 7-day
# window hold about 20 articles at 10,000 (2.7 a day), the digest size the targets speak of.
NOW = "2025-12-30T00:00:00+00:00"
CONFIG = """title = "Bench"
url = "https://bench.example.org/"
content = "{content}"
output = "{output}"
state_dir = "{state}"
"""
# --outputs: which outputs the site makes. "defaults" is publisher.toml without a [feeds] table
# (archives on); "main" the kinds the baseline and Hugo make (tags, categories, archives off);
# "all" every kind on (tags, categories, archives).
OUTPUTS = {
    "defaults": "",
    "main": "[feeds]\ntags = false\ncategories = false\narchives = false\n",
    "all": "[feeds]\ntags = true\ncategories = true\narchives = true\n",
}
HUGO_CONFIG = """baseURL = "https://bench.example.org/"
title = "Bench"
contentDir = "{content}"
disableKinds = ["taxonomy", "term", "section", "sitemap", "robotsTXT", "404"]
rssLimit = 50
[outputs]
home = ["RSS"]
page = []
[markup.goldmark.renderer]
unsafe = true
"""


# Times publisher.newsletter.render_digest itself (Markdown, Jinja2, premailer): the digest's own target.
DIGEST_ALONE = """
import sys, time, publisher
from publisher import parse_date
config = publisher.load_config(sys.argv[1])
now = parse_date(sys.argv[2], config)
articles = publisher.load_articles(config.site.content, config)
try:
    digest = publisher.newsletter.render_digest(articles, config, now=now, days=7)
except publisher.errors.EmptyDigest:
    sys.exit(print(0))
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    publisher.newsletter.render_digest(articles, config, now=now, days=7)
    times.append(time.perf_counter() - start)
print(len(digest.articles), *times)
"""

# A library caller (a site generator calling publisher on each rebuild) through the public stages
# with a store: the same calls build makes, without build's nothing-changed fast path.
LIBRARY = """
import sys, publisher
config = publisher.load_config(sys.argv[1])
now = publisher.parse_date(sys.argv[2])
with publisher.Store(sys.argv[3]) as store:
    articles = publisher.load_articles(config.content_folder, config, store=store)
    feeds = publisher.render_feeds(articles, config, now=now, store=store)
    publisher.write_feeds(feeds, sys.argv[4], store=store)
"""


@dataclass
class Figure:
    key: str
    label: str
    times: list[float]
    cpu: list[float]
    peak_kb: int
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def run_once(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KB) of one child process.

    A failure stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"benchmark: {' '.join(cmd)} failed with exit {proc.returncode}:\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss  # kilobytes on Linux


def measure(key: str, label: str, cmd: list[str], cwd: Path, runs: int, before=None, after=None) -> Figure:
    times, cpu, peak = [], [], 0
    for i in range(runs):
        if before is not None:
            before(i)
        elapsed, seconds, rss = run_once(cmd, cwd)
        if after is not None:
            after(i)
        times.append(elapsed)
        cpu.append(seconds)
        peak = max(peak, rss)
    return Figure(key, label, times, cpu, peak)


def snapshot(folder: Path, skip: set[str]) -> dict[str, int]:
    """mtime_ns of every file in the output folder, to prove an unchanged run rewrote nothing."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.name not in skip:
            found[str(path.relative_to(folder))] = path.stat().st_mtime_ns
    return found


def compiled(python: str, cwd: Path) -> None:
    """Bytecode for publisher's modules, as an installed publisher has it (pip compiles them when it
    installs). A checkout installed in editable mode under PYTHONDONTWRITEBYTECODE (set on this machine)
    would otherwise compile every module it imports on every run: 0.04 s of build's nothing-changed
    figure (0.224 s CPU instead of 0.180 s at 10,000 articles) that no user pays."""
    script = "import compileall, os, publisher; compileall.compile_dir(os.path.dirname(publisher.__file__), quiet=1)"
    subprocess.run([python, "-c", script], cwd=cwd, check=True)


def has_digest(python: str, cwd: Path) -> bool:
    probe = subprocess.run(
        [python, "-c", "import publisher; publisher.newsletter.render_digest"], cwd=cwd, capture_output=True
    )
    return probe.returncode == 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="corpus size (default: 10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is shown (default: 5)")
    parser.add_argument("--work", metavar="DIR", help="working folder (default: a temporary one, removed after)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with publisher installed")
    parser.add_argument(
        "--outputs",
        choices=sorted(OUTPUTS),
        default="defaults",
        help="defaults (archives on), main (only the kinds of output the baseline makes: tags, "
        "categories and archives off) or all (tags, categories and archives on)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    try:
        return bench(args, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> int:
    python, runs, n = args.python, args.runs, args.articles
    content, out, state = work / "content", work / "feeds", work / "state"
    if content.exists():
        shutil.rmtree(content)
    print(f"machine: {machine()}")
    print(f"corpus: {n:,} articles in {content} (benchmarks/make_corpus.py); now = {NOW}; {runs} runs each")
    started = time.perf_counter()
    make_corpus(n, content)
    print(f"corpus written in {time.perf_counter() - started:.1f} s")
    config = work / "bench.toml"
    settings = CONFIG.format(content=content, output=out, state=state) + OUTPUTS[args.outputs]
    config.write_text(settings, encoding="utf-8")
    print(f"configuration: --outputs {args.outputs}: {OUTPUTS[args.outputs] or 'no [feeds] table'!r}")
    build = [python, "-m", "publisher", "build", "--config", str(config), "--now", NOW]
    compiled(python, work)
    figures: dict[str, Figure] = {}

    def clear_output(_: int) -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)

    figures["a"] = measure("a", "cold build (no state)", build, work, runs, before=clear_output)

    run_once(build, work)  # leaves a complete state behind for the warm runs
    before = snapshot(out, set())
    figures["b"] = measure("b", "warm, nothing changed", build, work, runs)
    rewritten = [name for name, mtime in snapshot(out, set()).items() if before.get(name) != mtime]
    figures["b"].note = f"{len(before)} outputs, {len(rewritten)} rewritten"

    newest = sorted(content.rglob("*.md"))[-1]
    original = newest.read_bytes()

    def edit(i: int) -> None:
        newest.write_bytes(original + f"\nEdited for run {i}: one more paragraph.\n".encode())

    figures["c"] = measure("c", "warm, one article changed", build, work, runs, before=edit)
    newest.write_bytes(original)
    run_once(build, work)

    added_dir = content / "added"

    def add(i: int) -> None:
        added_dir.mkdir(exist_ok=True)
        text = newest.read_text(encoding="utf-8").replace("slug: article-", f"slug: added-{i}-", 1)
        (added_dir / f"added-{i}.md").write_text(text, encoding="utf-8")

    figures["d"] = measure("d", "warm, one article added", build, work, runs, before=add)
    shutil.rmtree(added_dir)
    run_once(build, work)

    if has_digest(python, work):
        digest = [
            python,
            "-m",
            "publisher",
            "digest",
            "--days",
            "7",
            "--config",
            str(config),
            "--now",
            NOW,
            "-q",
        ]  # into the feeds folder, as the README's cron recipe does
        figures["e"] = measure(
            "e", "7-day digest (`publisher digest --days 7`, with the build's state)", digest, work, runs
        )
        timing = subprocess.run(
            [python, "-c", DIGEST_ALONE, str(config), NOW, str(runs)], cwd=work, capture_output=True, text=True
        )
        if timing.returncode != 0:
            sys.exit(f"benchmark: timing render_digest failed:\n{timing.stderr}")
        count, *seconds = timing.stdout.split()
        if count == "0":
            print("(e2) render_digest alone: nothing published in the 7 days before now at this size")
        else:
            alone = [float(x) for x in seconds]
            figures["e2"] = Figure(
                "e2",
                f"render_digest alone, {count} articles, inlining included (in-process, after one warm-up call)",
                alone,
                alone,
                0,
            )
    else:
        print("(e) 7-day digest: not available (this publisher has no render_digest yet)")

    library = [python, "-c", LIBRARY, str(config), NOW, str(work / "library-state"), str(work / "library-out")]
    run_once(library, work)  # the first call: every article parsed, rendered and stored
    before = snapshot(work / "library-out", set())
    figures["h"] = measure("h", "library caller's second call, unchanged articles, with a store", library, work, runs)
    rewritten = [name for name, mtime in snapshot(work / "library-out", set()).items() if before.get(name) != mtime]
    figures["h"].note = f"{len(before)} outputs, {len(rewritten)} rewritten"

    baseline = [python, str(HERE / "baseline.py"), str(content), str(work / "baseline"), NOW]
    figures["f"] = measure("f", "baseline script (frontmatter, markdown, feedgen, premailer)", baseline, work, runs)

    hugo = shutil.which("hugo")
    if hugo:
        site = work / "hugo"
        site.mkdir(exist_ok=True)
        (site / "config.toml").write_text(HUGO_CONFIG.format(content=content), encoding="utf-8")
        version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()[1]
        hugo_cmd = [hugo, "--quiet", "-s", str(site), "-d", str(work / "hugo-out")]
        figures["g"] = measure(
            "g",
            f"Hugo {version}, RSS only",
            hugo_cmd,
            work,
            runs,
            before=lambda _: shutil.rmtree(work / "hugo-out", ignore_errors=True),
        )
    else:
        print("(g) Hugo: skipped, `hugo` is not installed (Debian: apt-get install hugo)")

    report(figures, n)
    return 0


def cpu(figure: Figure) -> float:
    return statistics.median(figure.cpu)


def report(figures: dict[str, Figure], n: int) -> None:
    base, hugo = figures.get("f"), figures.get("g")
    print()
    print(f"| {n:,} articles | median s | min–max s | CPU s | peak RSS MB | ÷ baseline (f) | ÷ Hugo (g) | |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for key, fig in figures.items():
        ratio_f = f"{fig.median / base.median:.2f}" if base else "–"
        ratio_g = f"{fig.median / hugo.median:.2f}" if hugo else "–"
        rss = f"{fig.peak_kb / 1024:.0f}" if fig.peak_kb else "–"
        print(
            f"| ({key}) {fig.label} | {fig.median:.3f} | {min(fig.times):.3f}–{max(fig.times):.3f} | "
            f"{statistics.median(fig.cpu):.3f} | "
            f"{rss} | {ratio_f} | {ratio_g} | {fig.note} |"
        )
    b, c, d = figures["b"], figures["c"], figures["d"]
    print()
    print(
        f"one change / nothing changed: {c.median / b.median:.2f}; one added / nothing changed: "
        f"{d.median / b.median:.2f}"
    )
    print(f"in CPU time: one change / nothing changed: {cpu(c) / cpu(b):.2f}")
    if "h" in figures:
        print(f"library second call / build nothing changed: {figures['h'].median / b.median:.2f}")
        print(f"in CPU time: library second call / build nothing changed: {cpu(figures['h']) / cpu(b):.2f}")
    if base:
        print(f"cold build / baseline: {figures['a'].median / base.median:.2f}")
        print(f"baseline / warm nothing changed: {base.median / b.median:.1f}x")
    if "e" in figures:
        cold_all = figures["a"].median + figures["e"].median
        line = f"cold feeds + digest (a+e): {cold_all:.3f} s"
        if base:
            line += f", {cold_all / base.median:.2f} of the baseline"
        if hugo:
            line += f", {cold_all / hugo.median:.2f} of Hugo"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
