"""Shared FastAPI dependencies: the app's `Service`, and the bearer-token check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from serve.service import Service


def get_service(request: Request) -> Service:
    """The app's `Service`, built once by `create_app`."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
