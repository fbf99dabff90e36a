"""`publisher build` writes the RFC 5005 archives once and leaves them alone after."""

from __future__ import annotations


def test_cli_build_writes_the_archives_and_rewrites_nothing_the_second_time(site, cli):
    years = site(title="T", url="https://e.org/", output="out")
    for year in (2023, 2024, 2025):
        years.add(f"p{year}.md", title=f"Post {year}", date=f"{year}-06-01", body="Text.")
    assert cli.on(years, "build").code == 0
    archive = years.out / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["2023.atom.xml", "2024.atom.xml", "2025.atom.xml"]
    stamps = {p: p.stat().st_mtime_ns for p in archive.iterdir()}
    assert cli.on(years, "build").code == 0
    assert {p: p.stat().st_mtime_ns for p in archive.iterdir()} == stamps
