"""Ray is an optional extra: the core, the server and the CLI start without importing it."""

from __future__ import annotations

import subprocess
import sys


def test_core_server_and_cli_do_not_import_ray() -> None:
    code = (
        "import sys, classifier, serve.app, training.cli; "
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "[]"
