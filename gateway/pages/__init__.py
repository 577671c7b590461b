"""The PWA's pages, one module per context, server-rendered with Jinja2 (autoescaped).

Shared helpers (rendering, sign-in redirects) live in :mod:`gateway.pages.render`.
"""

from fastapi import APIRouter

from gateway.pages import admin, budget, core, meetings, needs

ROUTERS: tuple[APIRouter, ...] = (core.router, needs.router, meetings.router, budget.router, admin.router)
