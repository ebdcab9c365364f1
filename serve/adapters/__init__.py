"""Helpdesk edges: each webhook body parsed into a `Ticket`, and signatures checked."""

from serve.adapters.freshdesk import FreshdeskPayload, freshdesk_ticket
from serve.adapters.generic import GenericFieldError, generic_ticket
from serve.adapters.signatures import SignatureError, sign_generic, verify_generic, verify_zendesk
from serve.adapters.zendesk import ZendeskPayload, zendesk_ticket

__all__ = [
    "FreshdeskPayload",
    "GenericFieldError",
    "SignatureError",
    "ZendeskPayload",
    "freshdesk_ticket",
    "generic_ticket",
    "sign_generic",
    "verify_generic",
    "verify_zendesk",
    "zendesk_ticket",
]
