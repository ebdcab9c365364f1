"""The pages, one module (and one APIRouter) each: sign-in, pulse, review queue, model
(/models/current: /model is the API's) and alerts, server-rendered with Jinja2."""

from __future__ import annotations

from fastapi import APIRouter

from serve.web.pages import alerts, model, pulse, review, sign_in

__all__ = ["routers"]

routers: tuple[APIRouter, ...] = (
    sign_in.router,
    pulse.router,
    review.router,
    model.router,
    alerts.router,
)
"""Every page's router, in the order they are included."""
