"""`ticketlens` commands for the service side (registered onto the main app by `register`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ticketlens` app."""
