"""The embedded admin: its JSON API and its pages, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from app.http.routes.admin import api, customers, home, program

routers: list[APIRouter] = [api.router, home.router, program.router, customers.router]
