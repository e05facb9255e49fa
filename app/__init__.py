"""Dangol's shell: configuration, database, HTTP, worker, Shopify client, dev store, CLI."""

# The one place the version is written: pyproject.toml reads it from here, and so do the HTTP app and
# `dangol --version`.
__version__ = "0.1.0"
