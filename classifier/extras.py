"""Imports on demand: an optional extra is named on import with the line that installs it, and a
package's public names load on first use."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def importable(module: str, extra: str) -> None:
    """Raise ImportError naming `pip install 'ticketlens[extra]'` unless `module` is installed."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"this part of ticketlens needs '{module}', from the '{extra}' extra: "
            f"pip install 'ticketlens[{extra}]'"
        )


def lazy_exports(
    package: str, homes: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` (PEP 562) for a package whose public names, listed per home
    module, are imported on first use: importing one light module of the package (the CLI's
    `--help`, an error type) must not load the model stack with the rest."""
    where = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
