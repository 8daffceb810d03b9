"""A real local HTTP receiver standing in for WeCom, DingTalk, Feishu and a webhook consumer.

It checks signatures with the algorithms the platforms document, written out here again
(not imported from ``alerts.signing``), answers the way each platform answers, discards a
webhook it has already processed (by Idempotency-Key), and can hold a request (to let a test
kill the sender mid-delivery) or fail on demand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    kind: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    at: float
    verified: bool
    duplicate: bool = False


@dataclass
class Receiver:
    wecom_key: str = "wecom-key"
    dingtalk_token: str = "ding-token"
    dingtalk_secret: str = ""
    dingtalk_keyword: str = ""
    feishu_token: str = "feishu-token"
    feishu_secret: str = ""
    webhook_secret: str = ""
    received: list[Received] = field(default_factory=list)
    processed_keys: list[str] = field(default_factory=list)
    failures: deque[tuple[str, int, dict[str, Any]]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = receiver.handle(self.path, dict(self.headers.items()), raw)
                receiver.arrived.set()
                # A held request: the sender waits (and may be killed) before any answer.
                receiver.release.wait(timeout=60)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender is gone

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- control -----------------------------------------------------------------------------

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, kind: str) -> str:
        return {
            "wecom": f"{self.base}/wecom/cgi-bin/webhook/send?key={self.wecom_key}",
            "dingtalk": f"{self.base}/dingtalk/robot/send?access_token={self.dingtalk_token}",
            "feishu": f"{self.base}/feishu/open-apis/bot/v2/hook/{self.feishu_token}",
            "webhook": f"{self.base}/webhook",
        }[kind]

    def fail_next(self, kind: str, status: int, answer: dict[str, Any] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self.failures.append((kind, status, answer or {}))

    def of(self, kind: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.kind == kind]

    def wait_for(self, predicate: Any, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())

    # --- the platforms -----------------------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        kind = parts.path.strip("/").split("/")[0]
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = {}
        with self.lock:
            if self.failures and self.failures[0][0] == kind:
                _, status, answer = self.failures.popleft()
                self.received.append(
                    Received(kind, parts.path, query, headers, body, time.time(), verified=False)
                )
                return status, answer
        verified, status, answer = getattr(self, f"_{kind}")(parts.path, query, headers, raw, body)
        record = Received(kind, parts.path, query, headers, body, time.time(), verified=verified)
        with self.lock:
            if kind == "webhook" and verified:
                key = headers.get("Idempotency-Key", "")
                record.duplicate = key in self.processed_keys
                if not record.duplicate:
                    self.processed_keys.append(key)
                answer = {"ok": True, "duplicate": record.duplicate}
            self.received.append(record)
        return status, answer

    def _wecom(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, body: dict[str, Any]
    ):
        if query.get("key") != self.wecom_key:
            return False, 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        content = body.get("text", {}).get("content", "") if body.get("msgtype") == "text" else ""
        if len(content.encode()) > 2048:
            return False, 200, {"errcode": 40058, "errmsg": "content exceed max length"}
        return True, 200, {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, body: dict[str, Any]
    ):
        if query.get("access_token") != self.dingtalk_token:
            return False, 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if self.dingtalk_secret:
            timestamp = query.get("timestamp", "")
            # Documented: sign = urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret)));
            # parse_qs has already url-decoded it.
            expected = base64.b64encode(
                hmac.new(
                    self.dingtalk_secret.encode("utf-8"),
                    f"{timestamp}\n{self.dingtalk_secret}".encode(),
                    digestmod=hashlib.sha256,
                ).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
            if not fresh or not hmac.compare_digest(query.get("sign", ""), expected):
                return False, 200, {"errcode": 310000, "errmsg": "sign not match"}
        content = body.get("text", {}).get("content", "")
        if self.dingtalk_keyword and self.dingtalk_keyword not in content:
            return False, 200, {"errcode": 310000, "errmsg": "keywords not in content"}
        return True, 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, body: dict[str, Any]
    ):
        if not path.endswith(f"/hook/{self.feishu_token}"):
            return False, 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if self.feishu_secret:
            timestamp = str(body.get("timestamp", ""))
            # Documented: sign = base64(HmacSHA256(key = timestamp + "\n" + secret, data = "")).
            expected = base64.b64encode(
                hmac.new(
                    f"{timestamp}\n{self.feishu_secret}".encode(), b"", digestmod=hashlib.sha256
                ).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 3600
            if not fresh or not hmac.compare_digest(str(body.get("sign", "")), expected):
                return (
                    False,
                    200,
                    {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
                )
        return True, 200, {"code": 0, "msg": "success", "data": {}}

    def _webhook(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, body: dict[str, Any]
    ):
        if self.webhook_secret:
            timestamp = headers.get("X-Opinion-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    self.webhook_secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
                ).hexdigest()
            )
            if not hmac.compare_digest(headers.get("X-Opinion-Signature", ""), expected):
                return False, 401, {"error": "bad signature"}
        if not headers.get("Idempotency-Key"):
            return False, 400, {"error": "no idempotency key"}
        return True, 200, {"ok": True}
