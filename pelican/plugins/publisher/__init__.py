"""Pelican 4.5+ loads this namespace plugin (``PLUGINS = ["publisher"]``); it is publisher's, in
publisher/integrations/pelican.py."""

from publisher.integrations.pelican import register

__all__ = ["register"]
