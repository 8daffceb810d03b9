"""Real processes: Celery workers and beats (subprocesses) against the PostgreSQL test database
and Redis, a real local HTTP receiver and a real SMTP server (aiosmtpd).

Every test gets its own queue name and a Redis database of its own (4–6, never the suite's), so
a stale message from another run can never be consumed. Stage offsets are seconds, set in the
policy table, never minutes of sleep."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.db import connection

from alerts import signals
from alerts.choices import Audience
from alerts.models import EscalationPolicy, EscalationStage
from tests.alerts.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_DB = os.environ.get("RELIABILITY_REDIS_DB", "4")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@dataclass
class Stack:
    tmp: Path
    redis_url: str
    queue: str = field(default_factory=lambda: f"rel-{uuid.uuid4().hex[:12]}")
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    restarts: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        db = connection.settings_dict
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="opinion.settings",
            DJANGO_DEBUG="1",
            DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            REDIS_URL=self.redis_url,
            CELERY_QUEUE=self.queue,
            VAR_DIR=str(self.tmp / "var"),
            SWEEP_INTERVAL_SECONDS="1",
            OUTBOX_SWEEP_SECONDS="1",
            ALERTS_OUTBOX_GRACE_SECONDS="2",
            ALERTS_DELIVERY_LEASE_SECONDS="4",
            ALERTS_RETRY_BASE_SECONDS="1",
            ALERTS_RETRY_MAX_SECONDS="2",
            ALERTS_HTTP_TIMEOUT_SECONDS="30",
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.extra_env)
        return env

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [CELERY, "-A", "opinion", *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the pool children too
        )
        self.procs[name] = proc
        return proc

    def worker(self, name: str = "worker", concurrency: int = 2) -> subprocess.Popen[bytes]:
        proc = self._start(
            name,
            [
                "worker",
                "-Q",
                self.queue,
                "-n",
                f"{name}-{self.queue}@%h",
                "--concurrency",
                str(concurrency),
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
        )
        assert wait_until(lambda: "ready." in self.log(name), timeout=60), self.log(name)
        return proc

    def beat(self, name: str = "beat") -> subprocess.Popen[bytes]:
        proc = self._start(
            name,
            [
                "beat",
                "--max-interval",
                "1",
                "--pidfile=",
                "-s",
                str(self.tmp / f"{name}-schedule"),
                "--loglevel",
                "INFO",
            ],
        )
        assert wait_until(lambda: "Sending due task" in self.log(name), timeout=60), self.log(name)
        return proc

    def revive(self) -> list[str]:
        """Play the process supervisor (systemd ``Restart=always``, a container restart policy):
        start again any worker that exited. Celery 5.7 / kombu 5.7 workers exit with
        "Unrecoverable error" when Redis drops while they hold unacknowledged (acks_late)
        messages; production runs them under a supervisor, and so does this test."""
        revived = []
        for name, proc in list(self.procs.items()):
            if name.startswith("worker") and proc.poll() is not None:
                self.procs.pop(name)
                self.restarts.append(name)
                self.worker(name)
                revived.append(name)
        return revived

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        self.kill(name, signal.SIGTERM)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)


@pytest.fixture
def redis_url() -> str:
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.fixture
def stack(
    transactional_db: None, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    s = Stack(tmp=tmp_path, redis_url=redis_url)
    # The test process's own "sweep this incident now" goes to the stack's broker and queue.
    sender = Celery("reliability-test", broker=redis_url)
    monkeypatch.setattr(
        signals,
        "enqueue_sweep",
        lambda incident_id: sender.send_task(
            "alerts.sweep_deadlines", kwargs={"incident_id": incident_id}, queue=s.queue
        ),
    )
    yield s
    s.stop_all()
    sender.close()
    for name in ("worker", "worker2", "beat", "beat2"):
        if s.log(name):
            print(f"--- {name} log (tail) ---\n" + s.log(name)[-3000:])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(
        dingtalk_secret="SECreliability",
        dingtalk_keyword="舆情",
        feishu_secret="feishu-rel",
        webhook_secret="hook-rel",
    ).start()
    yield r
    r.stop()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, _Mailbox]]:
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, box
    controller.stop()


def short_stages(*offsets_s: float, repeat_s: float | None = 300) -> None:
    """Reconfigure the active policy: the default stage codes at these offsets (seconds)."""
    policy = EscalationPolicy.objects.get(is_active=True)
    EscalationStage.objects.filter(policy=policy).delete()
    codes = [("t-30", Audience.OWNER), ("t-10", Audience.UNIT_HEAD), ("due", Audience.LEADERSHIP)][
        -len(offsets_s) :
    ]
    for (code, audience), offset in zip(codes, offsets_s, strict=True):
        EscalationStage.objects.create(
            policy=policy,
            code=code,
            name=code,
            offset=timedelta(seconds=offset),
            audience=audience,
            repeat_every=timedelta(seconds=repeat_s) if code == "due" and repeat_s else None,
        )
