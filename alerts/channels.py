"""Sending one message over one channel, and reading the answer.

Nothing here touches the database: ``alerts.delivery`` claims notifications, calls these, and
records the ``SendResult``. A result is ``transient`` when trying again may help (network
errors, 5xx, 429, a robot's "too fast"), so retries never repeat a request the receiver
refused on its merits.
"""

from __future__ import annotations

import json
import smtplib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import NoReverseMatch, reverse

from alerts.choices import ChannelKind
from alerts.signing import dingtalk_sign, feishu_sign, webhook_signature

if TYPE_CHECKING:
    from alerts.models import Alert, Channel, Notification

USER_AGENT = "opinion-alerts/1.0"
# Robot error codes that mean "too fast, try later" rather than "refused".
ROBOT_RATE_CODES = {"130101", "45009", "9499", "11232"}
# Bytes a robot accepts in one text message (WeCom: 2048; we keep every robot under it).
ROBOT_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class SendResult:
    ok: bool
    transient: bool = False
    http_status: int | None = None
    error_code: str = ""
    error: str = ""

    @classmethod
    def success(cls, http_status: int | None = None) -> SendResult:
        return cls(ok=True, http_status=http_status)


def incident_url(alert: Alert) -> str:
    try:
        path = reverse("incidents:detail", args=[alert.incident_id])
    except NoReverseMatch:
        path = reverse("alerts:list")
    return settings.SITE_URL.rstrip("/") + path


def alerts_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("alerts:list")


def _timeout() -> tuple[float, float]:
    return (5.0, float(getattr(settings, "ALERTS_HTTP_TIMEOUT_SECONDS", 10)))


def _post(
    url: str, body: bytes, headers: dict[str, str]
) -> tuple[SendResult | None, requests.Response | None]:
    """POST; a network failure or a 5xx/429 comes back as a transient result."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=_timeout(), allow_redirects=False)
    except (requests.ConnectionError, requests.Timeout) as exc:
        return SendResult(ok=False, transient=True, error_code=type(exc).__name__, error=str(exc)[:500]), None
    except requests.RequestException as exc:
        return SendResult(ok=False, error_code=type(exc).__name__, error=str(exc)[:500]), None
    if response.status_code >= 500 or response.status_code == 429:
        return (
            SendResult(
                ok=False,
                transient=True,
                http_status=response.status_code,
                error_code=str(response.status_code),
                error=response.text[:500],
            ),
            response,
        )
    if response.status_code >= 300:
        return (
            SendResult(
                ok=False,
                http_status=response.status_code,
                error_code=str(response.status_code),
                error=response.text[:500],
            ),
            response,
        )
    return None, response


def _json_dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


# --- Generic webhook ----------------------------------------------------------------------------


def webhook_payload(notification: Notification) -> dict[str, Any]:
    alert = notification.alert
    incident = alert.incident
    return {
        "event": "alert",
        "idempotency_key": str(notification.idempotency_key),
        "alert": {
            "id": alert.pk,
            "kind": alert.kind,
            "audience": alert.audience,
            "stage": alert.stage,
            "repeat": alert.repeat,
            "message": alert.message,
            "fired_at": alert.fired_at.isoformat(),
            "due_at": alert.due_at.isoformat() if alert.due_at else None,
        },
        "incident": {
            "id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "grade": incident.grade,
            "unit": incident.unit.code,
            "url": incident_url(alert),
        },
    }


def send_webhook(*, url: str, secret: str, payload: dict[str, Any], idempotency_key: str) -> SendResult:
    body = _json_dumps(payload)
    timestamp = int(time.time())
    headers = {"Idempotency-Key": idempotency_key, "X-Opinion-Timestamp": str(timestamp)}
    if secret:
        headers["X-Opinion-Signature"] = webhook_signature(secret=secret, timestamp_s=timestamp, body=body)
    failure, response = _post(url, body, headers)
    if failure:
        return failure
    assert response is not None
    return SendResult.success(response.status_code)


# --- Chat robots --------------------------------------------------------------------------------


def robot_text(*, keyword: str, alerts: list[Alert]) -> str:
    """One alert: its message and link. Several (merged because the robot's rate was reached,
    or because they fell due together): a numbered list and one link to the alerts page."""
    prefix = f"{keyword} " if keyword else ""
    if len(alerts) == 1:
        alert = alerts[0]
        return f"{prefix}{alert.message}\n{incident_url(alert)}"
    lines = [f"{prefix}【舆情告警】{len(alerts)} 条（合并发送）"]
    lines += [f"{i}. {alert.message}" for i, alert in enumerate(alerts, 1)]
    lines.append(alerts_url())
    return "\n".join(lines)


def robot_fit(*, keyword: str, alerts: list[Alert], limit: int = ROBOT_TEXT_LIMIT) -> list[Alert]:
    """The longest prefix of ``alerts`` whose merged text fits a robot message (at least one)."""
    fitted: list[Alert] = []
    for alert in alerts:
        if fitted and len(robot_text(keyword=keyword, alerts=[*fitted, alert]).encode()) > limit:
            break
        fitted.append(alert)
    return fitted


def robot_request(
    *, kind: str, url: str, secret: str, text: str, mobiles: list[str], now_s: float | None = None
) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body for a robot, signed where the robot has a secret."""
    now_s = time.time() if now_s is None else now_s
    if kind == ChannelKind.WECOM:
        text_bytes = text.encode()[:2048].decode(errors="ignore")
        content: dict[str, Any] = {"content": text_bytes}
        if mobiles:
            content["mentioned_mobile_list"] = mobiles
        return url, {"msgtype": "text", "text": content}
    if kind == ChannelKind.DINGTALK:
        if secret:
            timestamp_ms = int(now_s * 1000)
            sign = dingtalk_sign(secret=secret, timestamp_ms=timestamp_ms)
            # sign is already url-encoded, as DingTalk documents; append it verbatim.
            url = f"{url}{'&' if '?' in url else '?'}{urlencode({'timestamp': timestamp_ms})}&sign={sign}"
        return url, {
            "msgtype": "text",
            "text": {"content": text},
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
    if kind == ChannelKind.FEISHU:
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp_s = int(now_s)
            body = {
                "timestamp": str(timestamp_s),
                "sign": feishu_sign(secret=secret, timestamp_s=timestamp_s),
                **body,
            }
        return url, body
    raise ValueError(f"not a robot: {kind}")


def send_robot(*, kind: str, url: str, secret: str, text: str, mobiles: list[str]) -> SendResult:
    url, payload = robot_request(kind=kind, url=url, secret=secret, text=text, mobiles=mobiles)
    failure, response = _post(url, _json_dumps(payload), {})
    if failure:
        return failure
    assert response is not None
    try:
        answer = response.json()
    except ValueError:
        return SendResult(
            ok=False,
            transient=True,
            http_status=response.status_code,
            error_code="bad_json",
            error=response.text[:500],
        )
    if not isinstance(answer, dict):
        return SendResult(
            ok=False, http_status=response.status_code, error_code="bad_json", error=str(answer)[:500]
        )
    # WeCom and DingTalk answer errcode; Feishu answers code (older bots: StatusCode).
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode")))
    if code in (0, "0"):
        return SendResult.success(response.status_code)
    message = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or answer)[:500]
    return SendResult(
        ok=False,
        transient=str(code) in ROBOT_RATE_CODES,
        http_status=response.status_code,
        error_code=str(code),
        error=message,
    )


# --- Email --------------------------------------------------------------------------------------


def email_subject(alert: Alert) -> str:
    return f"【{alert.incident.reference}】{alert.get_kind_display()}：{alert.incident.title}"[:200]


def send_email(*, to: str, subject: str, body: str, idempotency_key: str) -> SendResult:
    """Through Django's SMTP settings. The Message-ID derives from the idempotency key, so a
    repeat after a crash is recognisably the same message."""
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[to],
        headers={"Message-ID": f"<{idempotency_key}@opinion.alerts>", "X-Idempotency-Key": idempotency_key},
    )
    try:
        connection = get_connection(fail_silently=False)
        message.connection = connection
        message.send()
    except smtplib.SMTPResponseException as exc:
        # 4xx: the server asks us to come back later; 5xx: refused.
        return SendResult(
            ok=False,
            transient=400 <= exc.smtp_code < 500,
            error_code=str(exc.smtp_code),
            error=str(exc.smtp_error)[:500],
        )
    except smtplib.SMTPRecipientsRefused as exc:
        return SendResult(ok=False, error_code="recipients_refused", error=str(exc)[:500])
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(ok=False, transient=True, error_code=type(exc).__name__, error=str(exc)[:500])
    return SendResult.success()


def send_to_channel_test(channel: Channel, text: str) -> SendResult:
    """A test message through a configured channel (the admin's test-send button)."""
    if channel.kind == ChannelKind.WEBHOOK:
        payload = {"event": "test", "message": text, "unit": channel.unit.code}
        return send_webhook(
            url=channel.url, secret=channel.secret, payload=payload, idempotency_key=f"test-{time.time_ns()}"
        )
    prefix = f"{channel.keyword} " if channel.keyword else ""
    return send_robot(
        kind=channel.kind, url=channel.url, secret=channel.secret, text=prefix + text, mobiles=[]
    )
