"""Dangol's shell: configuration, database, HTTP, worker, Shopify client, dev store, CLI."""
