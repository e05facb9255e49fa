"""The embedded admin: its JSON API and its pages, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from app.http.routes.admin import api, customers, home, program
from app.http.routes.admin.pages import problem_page

routers: list[APIRouter] = [api.router, home.router, program.router, customers.router]
__all__ = ["problem_page", "routers"]
