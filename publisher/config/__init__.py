"""The configuration: publisher.toml read into a Config of sections that mirror its tables.

``Config(site=Site(title=..., url=...), feeds=Feeds(limit=20))`` builds one in code;
``load_config(path)`` reads a file; ``config_from_mapping({...})`` takes the file's shape as a mapping.
"""

from .sections import Digest, Feeds, Html, Markdown, Site, Smtp
from .settings import Config
from .toml import config_from_mapping, load_config

__all__ = ["Config", "Digest", "Feeds", "Html", "Markdown", "Site", "Smtp", "config_from_mapping", "load_config"]
