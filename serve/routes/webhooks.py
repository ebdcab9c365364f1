"""POST /webhooks/zendesk, /webhooks/freshdesk and /webhooks/generic."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from classifier.records import Ticket
from serve.adapters import (
    FreshdeskPayload,
    GenericFieldError,
    SignatureError,
    ZendeskPayload,
    freshdesk_ticket,
    generic_ticket,
    verify_generic,
    verify_zendesk,
    zendesk_ticket,
)
from serve.auth import require_token
from serve.deps import ServiceDep
from serve.schemas import ClassifyOut
from serve.service import Service

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(require_token)])
M = TypeVar("M", bound=BaseModel)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestValidationError(
            [{"loc": ["body"], "msg": f"invalid JSON: {exc}", "type": "json_invalid"}]
        ) from exc


def _error(loc: list[Any], error: Any) -> dict[str, Any]:
    return {"loc": loc, "msg": error["msg"], "type": error["type"]}


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate(_json(body))
    except ValidationError as exc:
        raise RequestValidationError(
            [_error(["body", *e["loc"]], e) for e in exc.errors(include_url=False)]
        ) from exc


def _verified(check: Callable[[], None]) -> None:
    try:
        check()
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=f"webhook signature refused: {exc}") from exc


async def _answer(service: Service, ticket: Ticket, warnings: Sequence[str] = ()) -> ClassifyOut:
    (prediction,) = await service.classify([ticket])
    return ClassifyOut.from_prediction(prediction, warnings)


@router.post("/zendesk")
async def zendesk(request: Request, service: ServiceDep) -> ClassifyOut:
    """A Zendesk trigger's webhook call; signed when `zendesk_secret` is set."""
    body = await request.body()
    secret = service.settings.zendesk_secret
    if secret is not None:
        _verified(
            lambda: verify_zendesk(
                secret.get_secret_value(),
                body,
                request.headers.get("X-Zendesk-Webhook-Signature"),
                request.headers.get("X-Zendesk-Webhook-Signature-Timestamp"),
                window_s=service.settings.replay_window_s,
            )
        )
    payload = _parse(ZendeskPayload, body)
    return await _answer(service, zendesk_ticket(payload), payload.ticket.warnings)


@router.post("/freshdesk")
async def freshdesk(request: Request, service: ServiceDep) -> ClassifyOut:
    """A Freshdesk automation's webhook call (authenticated by the bearer token it sends)."""
    body = await request.body()
    payload = _parse(FreshdeskPayload, body)
    return await _answer(service, freshdesk_ticket(payload), payload.freshdesk_webhook.warnings)


@router.post("/generic")
async def generic(request: Request, service: ServiceDep) -> ClassifyOut:
    """Any JSON, mapped by the `generic_fields` setting; signed when `webhook_secret` is set."""
    body = await request.body()
    secret = service.settings.webhook_secret
    if secret is not None:
        _verified(
            lambda: verify_generic(
                secret.get_secret_value(),
                body,
                request.headers.get("X-Ticketlens-Signature"),
                request.headers.get("X-Ticketlens-Timestamp"),
                window_s=service.settings.replay_window_s,
            )
        )
    payload = _json(body)
    try:
        ticket = generic_ticket(payload, service.settings.generic_fields)
    except GenericFieldError as exc:
        raise RequestValidationError(
            [{"loc": ["body", *exc.loc], "msg": str(exc), "type": "value_error"}]
        ) from exc
    except ValidationError as exc:
        fields = service.settings.generic_fields
        raise RequestValidationError(
            [
                _error(["body", *fields.get(str(e["loc"][0]), "").split(".")], e)
                for e in exc.errors(include_url=False)
            ]
        ) from exc
    return await _answer(service, ticket)
