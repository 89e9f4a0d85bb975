"""Build the CPU image from scratch (mmdebstrap + buildah) and run camfleet inside it.

Slow: 366 s measured on the shared 2-core machine (docs/deploy-eks.md has the steps). Run with
``python -m pytest tests/image -m slow``; needs root, mmdebstrap, buildah and the apt mirror.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILDAH = ["buildah", "--storage-driver", "vfs"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(os.geteuid() != 0, reason="buildah's vfs storage and mmdebstrap need root"),
    pytest.mark.skipif(
        not (shutil.which("buildah") and shutil.which("mmdebstrap")),
        reason="needs Debian's buildah and mmdebstrap (apt-get install buildah mmdebstrap)",
    ),
]


@pytest.fixture
def image_tag() -> Iterator[str]:
    tag = f"localhost/camfleet-test:{uuid.uuid4().hex[:8]}"
    yield tag
    subprocess.run([*BUILDAH, "rmi", "--force", tag], capture_output=True, check=False)


def _run_in(tag: str, *command: str) -> subprocess.CompletedProcess[str]:
    container = subprocess.run(
        [*BUILDAH, "from", tag], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        return subprocess.run(
            [*BUILDAH, "run", "--isolation", "chroot", container, "--", *command],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        subprocess.run([*BUILDAH, "rm", container], capture_output=True, check=False)


def test_image_builds_and_runs_the_demo(image_tag: str, tmp_path: Path) -> None:
    build = subprocess.run(
        [str(ROOT / "scripts" / "build-image.sh"), "--tag", image_tag, "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1700,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert f"build-image: {image_tag}" in build.stdout

    version = _run_in(image_tag, "camfleet", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "camfleet 0.1.0"

    whoami = _run_in(image_tag, "id", "-u")
    assert whoami.stdout.strip() == "10001"  # non-root, the uid the rendered pods run as

    demo = _run_in(image_tag, "camfleet", "demo", "--max-frames", "10")
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    # The bundled model detected and the store recorded: the per-stage table and the summary.
    assert "inference" in demo.stdout
    assert "stored in sqlite:///camfleet-data/camfleet.db" in demo.stdout
