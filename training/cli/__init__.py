"""The `ticketlens` command line: one module per command group."""

from training.cli.root import app, main

__all__ = ["app", "main"]
