"""Signatures against values computed by hand from the platforms' documentation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote_plus

from alerts.channels import robot_request
from alerts.signing import dingtalk_sign, feishu_sign, webhook_signature


def test_dingtalk_sign_is_url_encoded_base64_of_hmac_over_timestamp_and_secret() -> None:
    sign = dingtalk_sign(secret="SEC123", timestamp_ms=1700000000123)
    raw = hmac.new(b"SEC123", b"1700000000123\nSEC123", hashlib.sha256).digest()
    assert unquote_plus(sign) == base64.b64encode(raw).decode()
    assert "+" not in sign and "/" not in sign and "=" not in sign  # url-encoded


def test_feishu_sign_keys_the_hmac_with_timestamp_and_secret_and_is_not_url_encoded() -> None:
    sign = feishu_sign(secret="abc", timestamp_s=1700000000)
    raw = hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()
    assert sign == base64.b64encode(raw).decode()


def test_webhook_signature_covers_timestamp_and_body() -> None:
    body = b'{"a":1}'
    expected = "sha256=" + hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook_signature(secret="k", timestamp_s=1700000000, body=body) == expected
    assert webhook_signature(secret="k", timestamp_s=1700000001, body=body) != expected


def test_robot_requests() -> None:
    url, body = robot_request(
        kind="dingtalk",
        url="https://x/robot/send?access_token=T",
        secret="S",
        text="hi",
        mobiles=["138"],
        now_s=1700000000.5,
    )
    assert url.startswith("https://x/robot/send?access_token=T&timestamp=1700000000500&sign=")
    assert body == {
        "msgtype": "text",
        "text": {"content": "hi"},
        "at": {"atMobiles": ["138"], "isAtAll": False},
    }
    url, body = robot_request(
        kind="feishu", url="https://f/hook/T", secret="S", text="hi", mobiles=[], now_s=1700000000.9
    )
    assert (
        url == "https://f/hook/T"
        and body["timestamp"] == "1700000000"
        and body["sign"] == feishu_sign(secret="S", timestamp_s=1700000000)
    )
    assert body["msg_type"] == "text" and body["content"] == {"text": "hi"}
    _, body = robot_request(
        kind="wecom", url="https://w/send?key=K", secret="", text="长" * 1000, mobiles=["139"], now_s=0
    )
    assert len(body["text"]["content"].encode()) <= 2048 and body["text"]["mentioned_mobile_list"] == ["139"]
