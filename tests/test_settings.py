"""Local defaults must not leak into the servers: only the command line assumes local mode."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env)
    return subprocess.run(code, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_web_server_refuses_to_start_without_a_secret_key(tmp_path):
    result = run([sys.executable, "-c", "import opinion.wsgi"], VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_commands_refuse_without_a_secret_key(tmp_path):
    result = run([sys.executable, "manage.py", "check"], DJANGO_DEBUG="0", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_command_line_defaults_to_local_mode(tmp_path):
    result = run([sys.executable, "manage.py", "check"], VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()
