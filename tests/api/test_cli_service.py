"""``camfleet fleet``, ``camfleet apikey`` and ``camfleet serve``: the commands in-process
(Typer's runner), ``serve`` as a real subprocess answering HTTP and its refusal as a one-line
error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner, Result

from camfleet.cli import app
from camfleet.commands._service_db import open_service_db
from camfleet.commands.demo import DEMO_FLEET
from camfleet.control.apikeys import ApiKeyStore, new_token
from camfleet.control.errors import ConflictError, NotFoundError
from camfleet.errors import ConfigError


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def camfleet_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from camfleet.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def _fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(DEMO_FLEET, encoding="utf-8")
    return path


def test_fleet_import_is_idempotent_and_export_round_trips(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    fleet = _fleet_file(tmp_path)
    first = cli("fleet", "import", str(fleet), *data)
    assert first.exit_code == 0, first.output
    assert "imported 2 cameras" in first.output and "revision 1" in first.output
    again = cli("fleet", "import", str(fleet), *data)
    assert "already up to date" in again.output and "revision 1" in again.output
    out = tmp_path / "out.yaml"
    exported = cli("fleet", "export", "-o", str(out), *data)
    assert exported.exit_code == 0, exported.output
    assert yaml.safe_load(out.read_text())["cameras"][0]["id"] == "bikes"
    assert out.stat().st_mode & 0o077 == 0


def test_apikey_create_list_revoke(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    created = cli("apikey", "create", "--name", "ci", "--read-only", *data)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cf_")
    listed = cli("apikey", "list", *data)
    assert "ci" in listed.output and "read-only" in listed.output
    assert token not in listed.output
    duplicate = cli("apikey", "create", "--name", "ci", *data)
    assert isinstance(duplicate.exception, ConflictError)
    assert "already exists" in str(duplicate.exception)
    assert cli("apikey", "revoke", "ci", *data).exit_code == 0
    assert "revoked" in cli("apikey", "list", *data).output.lower()
    assert isinstance(cli("apikey", "revoke", "nobody", *data).exception, NotFoundError)


def test_serve_refuses_a_public_host_without_a_key(tmp_path: Path) -> None:
    done = camfleet_cli("serve", "--no-engine", "--host", "0.0.0.0", "--port", "0",
                        "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2
    assert "no API key exists" in done.stderr and "Traceback" not in done.stderr


def test_serve_imports_the_config_and_answers_until_sigterm(tmp_path: Path) -> None:
    """With the key given as CAMFLEET_API_KEY, as a Kubernetes Secret would."""
    data = ["--data-dir", str(tmp_path / "data")]
    token = cli("apikey", "token").stdout.strip()
    with subprocess.Popen(
        [sys.executable, "-c", "from camfleet.cli import main; main()", "serve", "--no-engine",
         "--port", "0", "--config", str(_fleet_file(tmp_path)), *data],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", "CAMFLEET_API_KEY": token},
    ) as process:
        try:
            assert process.stdout is not None
            line = ""
            deadline = time.monotonic() + 60
            while "dashboard" not in line and time.monotonic() < deadline:
                line = process.stdout.readline()
            url = line.split("dashboard ", 1)[1].split()[0].rstrip("/")
            cameras = httpx.get(f"{url}/api/v1/cameras",
                                headers={"Authorization": f"Bearer {token}"})
            assert [c["id"] for c in cameras.json()] == ["bikes", "carphone"]
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0


def test_a_key_from_the_environment_is_stored_hashed_rotated_and_stays_revoked(
    tmp_path: Path,
) -> None:
    db, _ = open_service_db(None, tmp_path / "data")
    try:
        keys = ApiKeyStore(db)
        first, second = new_token(), new_token()
        keys.import_token("env", first)
        keys.import_token("env", first)  # a restart: nothing changes
        assert keys.verify(first) is not None and len(keys.list()) == 1
        keys.import_token("env", second)  # the Secret rotated
        assert keys.verify(first) is None and keys.verify(second) is not None
        keys.revoke("env")
        keys.import_token("env", second)  # a restart must not undo a revocation
        assert keys.verify(second) is None
        with pytest.raises(ConfigError, match="camfleet apikey token"):
            keys.import_token("env", "hunter2")
    finally:
        db.dispose()
