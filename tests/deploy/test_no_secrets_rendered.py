"""Rendered files carry no secret value: camera credentials, webhook secrets and the database URL
stay in the operator's Secrets, which the manifests only reference."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.config import FleetConfig
from camfleet.errors import PlanError

runner = CliRunner()

# Every value a leak would expose, whole and in the parts a partial leak would show.
SECRETS = [
    "rtsp://dock-user:Sw0rdfish-dock@10.0.0.11/stream",
    "dock-user",
    "Sw0rdfish-dock",
    "Gate-Pa55-9f3e",
    "http://admin:Yard-Mjpeg-77c1@10.0.2.31/video.mjpg",
    "Yard-Mjpeg-77c1",
    "whsec-dock-5c0e1b7a",
    "whsec-gate-e2a94d10",
    "Db-Pa55word-41d7",
    "postgresql+psycopg://camfleet:Db-Pa55word-41d7@db.internal/camfleet",
]


def _webhook(secret: str) -> dict[str, object]:
    return {"url": "https://hooks.example/camfleet", "secret": secret}


SECRET_FLEET = {
    "models": {"default": {"path": "bundled:fall-yolov8s-dynamic.onnx", "provider": "cuda"}},
    "cameras": [
        {
            "id": "dock-1",
            "source": SECRETS[0],
            "rules": [{"name": "people", "type": "presence", "webhooks": [_webhook(SECRETS[6])]}],
        },
        {
            "id": "gate-1",
            "source": "rtsp://gate:Gate-Pa55-9f3e@10.0.1.21/stream",
            "rules": [
                {
                    "name": "crowd",
                    "type": "crowd",
                    "max_count": 3,
                    "webhooks": [_webhook(SECRETS[7])],
                }
            ],
        },
        {"id": "yard-1", "source": SECRETS[4]},
    ],
    "store": {"database_url": SECRETS[9]},
}


@pytest.fixture(scope="module")
def secret_fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    FleetConfig.model_validate(SECRET_FLEET)  # the fixture must be a valid fleet
    path = tmp_path_factory.mktemp("fleet") / "fleet.yaml"
    path.write_text(yaml.safe_dump(SECRET_FLEET))
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "shared"],
        ["--mode", "shared", "--database", "external", "--snapshot-store", "s3://snaps/fleet-a"],
        ["--mode", "timeslice", "--time-slices", "3"],
    ],
)
def test_no_rendered_file_contains_a_secret(
    secret_fleet: Path, tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "eks"
    result = runner.invoke(
        app, ["deploy", "render", "--fleet", str(secret_fleet), "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) >= 8
    for path in files:
        text = path.read_text()
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"{path.relative_to(out)} contains {leaked}"
    assert not any(secret in result.output for secret in SECRETS)
    # The pods get them only by reference.
    workers = (out / "manifests" / "40-workers.yaml").read_text()
    assert "secretKeyRef" in workers and "camfleet-database" in workers
    assert "secretName: camfleet-fleet" in (out / "manifests" / "10-fleet-import.yaml").read_text()


def test_the_check_itself_finds_a_leak(secret_fleet: Path, tmp_path: Path) -> None:
    # The same grep over the old ConfigMap layout (the fleet dumped as YAML) finds the secrets.
    leaked_text = yaml.safe_dump(SECRET_FLEET)
    assert [secret for secret in SECRETS if secret in leaked_text] == SECRETS


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("/mnt/snapshots", "pass s3://bucket/prefix"),
        ("s3://", "pass s3://bucket/prefix"),
        ("s3://AKIA:secret@bucket/prefix", "must not carry credentials"),
    ],
)
def test_snapshot_store_must_be_a_shared_store_without_credentials(
    secret_fleet: Path, tmp_path: Path, setting: str, message: str
) -> None:
    result = runner.invoke(
        app,
        [
            "deploy",
            "render",
            "--fleet",
            str(secret_fleet),
            "--out",
            str(tmp_path),
            "--snapshot-store",
            setting,
        ],
    )
    # A CamfleetError: the real entry point prints it as one line and exits 2.
    assert isinstance(result.exception, PlanError)
    assert message in str(result.exception)
