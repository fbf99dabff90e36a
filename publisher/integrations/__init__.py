"""Other publishers as callers: the MkDocs plugin (mkdocs.py) and the Pelican plugin (pelican.py) turn the
host's rendered pages into Articles with their URL and HTML and run the same public stages as any library
caller (host.py: settings, stages and digest they share)."""
