"""secconsole: a terminal account-security console."""

__version__ = "0.1.0"
