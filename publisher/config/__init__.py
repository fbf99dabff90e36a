"""The site's settings: publisher.toml read into a Config of sections that mirror its tables
(sections.py: how each setting's type, default, key and description are defined, and Site; articles.py,
feeds.py, mail.py: the other sections; settings.py: Config and what follows
from it; toml.py: the file; checks.py: the checks of values that need more than a type).

``Config(site=Site(title=..., url=...), feeds=Feeds(limit=20))`` builds one in code;
``load_config(path)`` reads a file; ``config_from_mapping({...})`` takes the file's shape as a mapping.
"""

from .articles import Fields, Html, Markdown
from .feeds import Feeds
from .mail import Digest, Smtp
from .sections import Site
from .settings import Config
from .toml import config_from_mapping, load_config

__all__ = [
    "Config",
    "Digest",
    "Feeds",
    "Fields",
    "Html",
    "Markdown",
    "Site",
    "Smtp",
    "config_from_mapping",
    "load_config",
]
