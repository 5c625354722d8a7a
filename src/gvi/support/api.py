"""API routes of the support app, mounted under /api/v1/support/ by gvi.api."""

from ninja import Router

router = Router(tags=["support"])
