"""The site's settings: publisher.toml read into a Config (toml.py) and the checks of values that need
more than a type (checks.py)."""
