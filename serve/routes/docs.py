"""/docs and /redoc from the Swagger UI and ReDoc files vendored in `serve/static/` (no CDN).

FastAPI's own pages load their scripts from a CDN and are blank on a machine without internet;
these are the same pages pointed at local copies (see `serve/static/README.md` for versions and
licences).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"
PREFIX = "/static/docs"


def add_docs(app: FastAPI, openapi_url: str) -> None:
    """Mount the vendored assets and add the /docs and /redoc pages to `app`."""
    app.mount(PREFIX, StaticFiles(directory=STATIC), name="docs-static")
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API",
            swagger_js_url=f"{PREFIX}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/swagger-ui/favicon-32x32.png",
        )

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API",
            redoc_js_url=f"{PREFIX}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )

    app.include_router(router)
