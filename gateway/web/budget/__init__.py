"""Pages about budget: the council's budget on a tablet, and the public transparency page.

The council pages work without JavaScript: plain forms posted here, forwarded to the budget
service, answered with a redirect (or the page again with the service's message). Charts are
server-rendered SVG bars. The public page, with its CSV and JSON exports, needs no sign-in:
the gateway reads the budget with a public identity scoped to that one commune.

One module per page family: ``overview`` and ``projects`` (the council's), ``transparency``
(the public's), ``works`` (stages, community checks and citizens' ratings after the money);
``shared`` and ``formatting`` are what they share.
"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.web.budget import overview, projects, transparency, works

__all__ = ["ROUTERS"]

# Listed one by one in gateway/web/__init__.py's ROUTERS, in this order.
ROUTERS: tuple[APIRouter, ...] = (overview.router, projects.router, transparency.router, works.router)
