"""Sign-in and sign-out: `/`, `/login` (CSRF-protected, rate-limited) and `/logout`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serve.deps import ServiceDep
from serve.web.pages.common import page
from serve.web.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    CsrfChecked,
    SessionSigner,
    SignInLimiter,
    User,
    Viewer,
    check_password,
    new_csrf,
)

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/pulse", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/pulse", error: str = "") -> HTMLResponse:
    token = new_csrf()
    response = page(request, "login.html", None, csrf=token, next=next, error=error)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    service: ServiceDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/pulse",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or csrf != expected:
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")
    limiter: SignInLimiter = request.app.state.web_limiter
    keys = [f"ip:{request.client.host if request.client else '?'}", f"user:{username}"]
    wait = limiter.retry_after(keys)
    if wait:
        raise HTTPException(
            status_code=429,
            detail="too many failed sign-ins; wait and retry",
            headers={"Retry-After": str(wait)},
        )
    users = {
        n: (u.role, u.password.get_secret_value()) for n, u in service.settings.web_users.items()
    }
    role = check_password(users, username, password)
    if role is None:
        limiter.failed(keys)
        return page(
            request, "login.html", None, csrf=expected, next=next, error="wrong name or password"
        )
    signer: SessionSigner = request.app.state.web_signer
    target = next if next.startswith("/") and not next.startswith("//") else "/pulse"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        signer.dumps(User(username, role, new_csrf())),
        max_age=int(signer.max_age_s),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(_user: Viewer, _csrf: CsrfChecked) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
