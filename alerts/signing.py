"""Signatures, with no I/O. Each follows the receiving platform's documented algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: url-encode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))),
    the timestamp in epoch milliseconds."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(*, secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")), the timestamp in
    epoch seconds, not url-encoded (the opposite of DingTalk)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(*, secret: str, timestamp_s: int, body: bytes) -> str:
    """Our generic webhook: ``sha256=`` + hex(HMAC-SHA256(key=secret, msg=f"{timestamp}." + body)).
    The timestamp is in the signed message so a captured request cannot be replayed later."""
    mac = hmac.new(secret.encode(), str(timestamp_s).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
