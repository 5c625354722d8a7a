"""API routes of the sanctions app, mounted under /api/v1/sanctions/ by gvi.api."""

from ninja import Router

router = Router(tags=["sanctions"])
