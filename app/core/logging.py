"""structlog set-up: one line per event, JSON in production, readable in a terminal; never locals.

Every record, structlog's and the standard library's (uvicorn, arq, SQLAlchemy), goes through the
same processors to stderr. Tracebacks are rendered as plain text: rich's pretty tracebacks print
each frame's local variables, and a frame inside a verifier holds the client secret.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

LogFormat = Literal["json", "console"]


def _drop_colour_copy(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
    """uvicorn adds a second, ANSI-coloured copy of each message."""
    event.pop("color_message", None)
    return event


_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderer(log_format: LogFormat) -> list[structlog.types.Processor]:
    if log_format == "json":
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [
        structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback, sort_keys=False
        )
    ]


def configure_logging(log_format: LogFormat = "json", *, level: int = logging.INFO) -> None:
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _drop_colour_copy],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderer(log_format)],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker"):
        # Their own handlers would print a second, unstructured copy.
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # One line per HTTP call to Shopify (or the dev store) drowns everything else.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # arq says when each job starts and ends, a cron sweep every few seconds included; the worker
    # reports what its jobs did instead (webhooks/tasks.py). arq's warnings and errors still show.
    logging.getLogger("arq").setLevel(logging.WARNING)
