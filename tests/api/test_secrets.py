"""Secrets masked in URLs, camera dumps and log lines."""

from __future__ import annotations

import logging

import pytest

from camfleet.control.secrets import SecretMaskingFilter, mask_text, mask_url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtsp://user:pa55@cam.local:554/s", "rtsp://user:***@cam.local:554/s"),
        ("rtsp://cam.local/s", "rtsp://cam.local/s"),
        ("rtsp://user@cam.local/s", "rtsp://user@cam.local/s"),
        ("bundled:bikes.mp4", "bundled:bikes.mp4"),
        ("http://a:b%40c@h/x", "http://a:***@h/x"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_log_lines_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("camfleet.test.secrets")
    caplog.handler.addFilter(SecretMaskingFilter())
    with caplog.at_level(logging.WARNING):
        logger.warning("camera %r: cannot open %s", "dock", "rtsp://admin:hunter2@10.0.0.7/s")
        logger.warning("webhook %s", {"url": "https://h/x", "secret": "s3cret"})
    assert "hunter2" not in caplog.text and "s3cret" not in caplog.text
    assert "rtsp://admin:***@10.0.0.7/s" in caplog.text
    assert mask_text("secret=abc123 and x") == "secret=*** and x"


def test_the_cli_installs_the_filter_on_the_root_handlers() -> None:
    from typer.testing import CliRunner

    from camfleet.cli import app

    assert CliRunner().invoke(app, ["apikey", "token"]).exit_code == 0
    handlers = logging.getLogger().handlers
    assert handlers
    assert all(any(isinstance(f, SecretMaskingFilter) for f in h.filters) for h in handlers)
