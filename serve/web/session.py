"""Sign-in for the pages: signed session cookies, roles, CSRF tokens and a failed-sign-in limit.

The session is a cookie holding `{user, role, csrf, expires}` signed with HMAC-SHA256 (nothing is
stored server-side). Every form POST carries the session's CSRF token in a hidden field; the
sign-in form, before any session exists, uses a double-submit cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request

COOKIE = "ticketlens_session"
LOGIN_CSRF_COOKIE = "ticketlens_login_csrf"
ROLES = ("viewer", "agent", "admin")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    csrf: str

    def can(self, role: str) -> bool:
        """Roles are nested: an admin can do what an agent can, an agent what a viewer can."""
        return ROLES.index(self.role) >= ROLES.index(role)


class SessionSigner:
    """Signs and checks session cookies with one secret."""

    def __init__(self, secret: bytes, max_age_s: float) -> None:
        self._secret = secret
        self.max_age_s = max_age_s

    def _mac(self, body: bytes) -> str:
        return base64.urlsafe_b64encode(
            hmac.new(self._secret, body, hashlib.sha256).digest()
        ).decode()

    def dumps(self, user: User, now: float | None = None) -> str:
        expires = (now or time.time()) + self.max_age_s
        payload = {"u": user.name, "r": user.role, "c": user.csrf, "e": expires}
        body = base64.urlsafe_b64encode(json.dumps(payload).encode())
        return f"{body.decode()}.{self._mac(body)}"

    def loads(self, cookie: str, now: float | None = None) -> User | None:
        """The cookie's user, or None when it is forged, malformed or expired."""
        body, _, mac = cookie.partition(".")
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body))
        except ValueError:
            return None
        if payload["e"] < (now or time.time()) or payload["r"] not in ROLES:
            return None
        return User(name=payload["u"], role=payload["r"], csrf=payload["c"])


class SignInLimiter:
    """At most `limit` failed sign-ins per client address and per user name in `window_s`."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] < now - self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, keys: list[str], now: float | None = None) -> int:
        """Seconds until these keys may try again (0: now)."""
        now = now or time.time()
        waits = [
            failures[0] + self.window_s - now
            for key in keys
            if len(failures := self._recent(key, now)) >= self.limit
        ]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = now or time.time()
        for key in keys:
            self._recent(key, now).append(now)


def check_password(users: Mapping[str, tuple[str, str]], name: str, password: str) -> str | None:
    """The user's role when `password` is theirs (constant-time compare), else None."""
    entry = users.get(name)
    expected = entry[1] if entry else secrets.token_hex(16)  # same work for unknown names
    matches = hmac.compare_digest(password.encode(), expected.encode())
    return entry[0] if entry and matches else None


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def current_user(request: Request) -> User | None:
    """The signed-in user of this request, if any."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    signer: SessionSigner = request.app.state.web_signer
    return signer.loads(cookie)


class SignInRequired(Exception):
    """Raised by page dependencies: answered by a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def require_role(role: str) -> Any:
    """A dependency: the signed-in user if their role allows `role`, else sign-in or 403."""

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user is None:
            if request.method == "GET":
                raise SignInRequired(request.url.path)
            raise HTTPException(status_code=401, detail="sign in first")
        if not user.can(role):
            raise HTTPException(status_code=403, detail=f"this page needs the {role} role")
        return user

    return Depends(dependency)


def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Refuse a form POST whose hidden `csrf` field is not the session's token."""
    user = current_user(request)
    if user is None or not csrf or not hmac.compare_digest(csrf, user.csrf):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")


Viewer = Annotated[User, require_role("viewer")]
Agent = Annotated[User, require_role("agent")]
Admin = Annotated[User, require_role("admin")]
CsrfChecked = Annotated[None, Depends(check_csrf)]
