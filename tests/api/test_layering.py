"""Layering rules: `webchat_tui.api` and `webchat_tui.emulator` never import Textual or Rich, and httpx is
imported by exactly one api module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[2] / "webchat_tui" / "api"


def _modules_after_import(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_api_and_emulator_never_import_textual_or_rich() -> None:
    modules = _modules_after_import(
        "import webchat_tui.api, webchat_tui.api.session, webchat_tui.api.stream, webchat_tui.api.client\n"
        "import webchat_tui.emulator\n"
        "from webchat_tui.emulator.app import create_app\n"
        "create_app()"
    )
    assert "webchat_tui.api.session" in modules and "webchat_tui.emulator.app" in modules  # the probe worked
    offenders = sorted(m for m in modules if m.split(".")[0] in ("textual", "rich"))
    assert offenders == []


def test_httpx_is_imported_by_one_api_module_only() -> None:
    importers = []
    for path in sorted(API_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "httpx" or n.startswith("httpx.") for n in names):
                importers.append(path.name)
    assert importers == ["_transport.py"]
