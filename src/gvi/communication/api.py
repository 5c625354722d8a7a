"""API routes of the communication app, mounted under /api/v1/communication/ by gvi.api."""

from ninja import Router

router = Router(tags=["communication"])
