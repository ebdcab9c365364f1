"""HTTP edge (FastAPI): settings, `create_app(settings)`, routes and webhook adapters.

Imports `classifier` only; `ticketlens serve` starts it through `serve.app:app_from_env`.
"""

from serve.adapters import SignatureError, sign_generic, verify_generic, verify_zendesk
from serve.app import app_from_env, create_app
from serve.batcher import MicroBatcher
from serve.settings import Settings

__all__ = [
    "MicroBatcher",
    "Settings",
    "SignatureError",
    "app_from_env",
    "create_app",
    "sign_generic",
    "verify_generic",
    "verify_zendesk",
]
