"""The web pages on the running service: pulse, review queue, model and alerts, with sign-in.

`install(app, service)` adds them to an app built by `serve.app.create_app`: the pages (unless
`web_pages` is off), `POST /releases`, the pages' tables and the scheduled alert run.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from serve.service import Service
from serve.web import alerts
from serve.web.session import SessionSigner, SignInLimiter, SignInRequired
from serve.web.tables import create_web_tables

__all__ = ["install", "run_alerts"]


def run_alerts(service: Service, now: datetime | None = None) -> tuple[int, int]:
    """One alert round: store alerts for new spikes, then deliver what is due; (stored, sent)."""
    settings = service.settings
    if service.store is None:
        return 0, 0
    engine = service.store.engine
    urls = {
        name: secret.get_secret_value()
        for name, secret in (
            ("slack", settings.alert_slack_url),
            ("webhook", settings.alert_webhook_url),
        )
        if secret is not None
    }
    current = service.holder.current
    fields = list(current.bundle.manifest.fields) if current is not None else ["category"]
    now = now or datetime.now(UTC)
    stored = alerts.detect(
        engine,
        fields,
        receivers=urls,
        public_url=settings.public_url,
        recent_weeks=settings.alert_weeks,
        cooldown_h=settings.alert_cooldown_h,
        now=now,
    )
    sent = alerts.deliver(
        engine,
        urls,
        retry_s=settings.alert_retry_s,
        max_attempts=settings.alert_max_attempts,
        now=now,
    )
    return stored, sent


def install(app: FastAPI, service: Service) -> None:
    """Add the pages, /releases, the pages' tables and the alert schedule to `app`."""
    from serve.web.pages import routers as pages
    from serve.web.releases import router as releases

    settings = service.settings
    secret = settings.web_session_secret
    app.state.web_signer = SessionSigner(
        secret.get_secret_value().encode() if secret else secrets.token_bytes(32),
        settings.web_session_hours * 3600,
    )
    app.state.web_limiter = SignInLimiter()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if service.store is not None:
            await asyncio.to_thread(create_web_tables, service.store.engine)
        task = None
        if settings.alert_interval_s > 0 and service.store is not None:
            task = asyncio.create_task(
                alerts.run_schedule(settings.alert_interval_s, lambda: run_alerts(service))
            )
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    router = APIRouter(lifespan=lifespan)
    router.include_router(releases)
    if settings.web_pages:
        for page in pages:
            router.include_router(page)

        async def to_sign_in(_request: Request, exc: Exception) -> Response:
            assert isinstance(exc, SignInRequired)
            return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

        app.add_exception_handler(SignInRequired, to_sign_in)
    app.include_router(router)
