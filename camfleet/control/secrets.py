"""Secrets never leave: camera URL passwords and webhook secrets masked in responses and logs.

A client that reads a camera, edits one field and sends it back sends the masked values back;
:func:`restore_secrets` puts the stored secrets back wherever a masked value came in unchanged.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from camfleet.config import CameraConfig
from camfleet.errors import ConfigError

__all__ = ["MASK", "SecretMaskingFilter", "mask_camera", "mask_text", "mask_url", "restore_secrets"]

MASK = "***"
# scheme://user:password@host -> scheme://user:***@host, anywhere in a text.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)")
# secret=..., "secret": "...", secret: ... (webhook secrets in reprs and dumps)
_SECRET_FIELD = re.compile(r"(?P<head>['\"]?secret['\"]?\s*[:=]\s*['\"]?)(?!\*\*\*)[^\s'\",)}]+")


def mask_url(url: str) -> str:
    """``rtsp://user:pass@host/x`` -> ``rtsp://user:***@host/x``; other strings unchanged."""
    if "://" not in url or "@" not in url:
        return url
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if not password:
        return url
    return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, url)


def mask_text(text: str) -> str:
    """Mask every URL password and ``secret`` field found in free text (log lines)."""
    return _SECRET_FIELD.sub(
        lambda m: m.group("head") + MASK, _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    )


def mask_camera(camera: CameraConfig) -> dict[str, Any]:
    """The camera as JSON with its source password and webhook secrets masked."""
    data = camera.model_dump(mode="json")
    data["source"] = mask_url(camera.source)
    for rule in data["rules"]:
        for webhook in rule["webhooks"]:
            if webhook.get("secret") is not None:
                webhook["secret"] = MASK
    return data


def restore_secrets(incoming: dict[str, Any], stored: CameraConfig | None) -> dict[str, Any]:
    """``incoming`` (a camera as JSON) with masked values that match ``stored`` unmasked.

    A masked value that matches nothing stored (a new camera, another host, another webhook
    URL) is refused: storing ``***`` as a password would break the camera silently.
    """
    data = dict(incoming)
    source = data.get("source")
    if isinstance(source, str) and _is_masked_url(source):
        if stored is None or source != mask_url(stored.source):
            raise ConfigError(
                "source: the password is the mask '***' but this is not the stored URL; "
                "send the full URL with its password"
            )
        data["source"] = stored.source
    stored_secrets = {
        (rule.name, webhook.url): webhook.secret
        for rule in (stored.rules if stored is not None else [])
        for webhook in rule.webhooks
    }
    rules = data.get("rules")
    if isinstance(rules, list):
        data["rules"] = [
            _restore_rule(index, rule, stored_secrets) for index, rule in enumerate(rules)
        ]
    return data


def _is_masked_url(url: str) -> bool:
    try:
        return urlsplit(url).password == MASK
    except ValueError:
        return False


def _restore_rule(index: int, rule: Any, secrets: dict[tuple[str, str], str | None]) -> Any:
    if not isinstance(rule, dict) or not isinstance(rule.get("webhooks"), list):
        return rule
    hooks = []
    for position, webhook in enumerate(rule["webhooks"]):
        if isinstance(webhook, dict) and webhook.get("secret") == MASK:
            secret = secrets.get((str(rule.get("name")), str(webhook.get("url"))))
            if secret is None:
                raise ConfigError(
                    f"rules[{index}].webhooks[{position}].secret: the mask '***' matches no "
                    "stored secret for this rule and URL; send the real secret"
                )
            webhook = {**webhook, "secret": secret}
        hooks.append(webhook)
    return {**rule, "webhooks": hooks}


class SecretMaskingFilter(logging.Filter):
    """Masks URL passwords and secret fields in every record it passes (install on handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
