"""Markdown -> safe HTML, shared by the feeds and the e-mail: the engines by name (engines.py, with the
GFM autolinks of autolink.py) and the sanitiser that makes every address absolute and every image
sized (html.py)."""
