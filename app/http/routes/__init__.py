"""Thin JSON and page routes: parse, call a service, answer."""
