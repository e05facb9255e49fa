"""What several dev store tests read off its page: the one message a refused form shows, and the field
it is about."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str  # the name of the input the message describes (aria-describedby) and marks invalid


def refusal(page: str) -> Refusal:
    """The page's one alert, and the one input that points at it as its description."""
    [(alert_id, message)] = re.findall(r'<p class="error" role="alert" id="([^"]+)">([^<]*)</p>', page)
    described = re.findall(rf'<(?:input|select)\b[^>]*aria-describedby="{re.escape(alert_id)}"[^>]*>', page)
    assert len(described) == 1, f"{len(described)} fields are described by {alert_id}"
    [tag] = described
    assert 'aria-invalid="true"' in tag, tag
    name = re.search(r'\bname="([^"]+)"', tag)
    assert name is not None, tag
    return Refusal(message=html.unescape(message), field=name.group(1))


def typed(page: str, field: str) -> str:
    """The value the page fills `field` with (the first form that has it)."""
    found = re.search(rf'<input\b[^>]*\bname="{field}"[^>]*>', page)
    assert found is not None, field
    value = re.search(r'\bvalue="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""
