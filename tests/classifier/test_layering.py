"""The inference core stands alone: it never imports training/, serve/, FastAPI or Typer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from classifier.extras import importable
from tests import ROOT


def test_the_inference_core_imports_no_training_serving_or_cli_code() -> None:
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "classifier").rglob("*.py")
        if path.name != "onnx_export.py"  # run as its own process; imports torch.onnx
    )
    code = (
        f"import sys; import {', '.join(modules)}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'training', 'serve', 'fastapi', 'typer'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "[]"


def test_a_missing_extra_is_named_with_the_line_that_installs_it() -> None:
    importable("sqlalchemy", "serve")  # installed here: no error
    with pytest.raises(ImportError, match=r"pip install 'ticketlens\[serve\]'"):
        importable("no_such_module_for_ticketlens", "serve")
