"""Rendering pages: one Jinja2 environment, templates that only display what they are given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "liquid"]), enable_async=False
)


def render(name: str, **context: Any) -> str:
    return environment.get_template(name).render(**context)
