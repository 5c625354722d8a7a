"""GVI: a platform for Group Violence Intervention partnerships."""

__version__ = "0.1.0"
