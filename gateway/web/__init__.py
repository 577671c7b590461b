"""The PWA's pages, one module per context, server-rendered with Jinja2 (autoescaped).

Shared helpers (rendering, sign-in redirects) live in :mod:`gateway.web.render`.
"""

from fastapi import APIRouter

from gateway.web import (
    about,
    admin,
    assets,
    budget,
    core,
    council,
    council_outcomes,
    demo,
    meeting_come,
    meetings,
    needs,
    notify,
    oversight,
    referrals,
    scheduling,
    voice,
)

ROUTERS: tuple[APIRouter, ...] = (
    assets.router,  # before the /static mount: hashed names and their caching
    core.router,
    needs.router,
    council.router,
    council_outcomes.router,
    referrals.router,
    meetings.router,
    meeting_come.router,
    *budget.ROUTERS,
    notify.router,
    oversight.router,
    voice.router,
    scheduling.router,
    admin.router,
    about.router,
    demo.router,
)
