"""Optional extras: a module that needs one says so on import, with the line that installs it."""

from __future__ import annotations

import importlib.util


def importable(module: str, extra: str) -> None:
    """Raise ImportError naming `pip install 'ticketlens[extra]'` unless `module` is installed."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"this part of ticketlens needs '{module}', from the '{extra}' extra: "
            f"pip install 'ticketlens[{extra}]'"
        )
