"""Reporting benchmark: how long a duty officer waits for a draft, a submission and the exports.

Set-up: a fresh PostgreSQL database (migrated), one unit, a duty officer and a signer, and
incidents logged through the real services. Measured in-process: draft creation (prefill from the
incident and monitoring), submission (numbering, deadline, timeline) one at a time and from 8
threads at once (the 第X期 counter serialises them), Word export and PDF export (WeasyPrint,
Noto CJK fonts). Figures go to docs/performance/reporting.md.

Run: ``.venv/bin/python -m bench reporting`` (needs PostgreSQL on 127.0.0.1).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_opinion_reporting")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
OUT = ROOT / "docs" / "performance" / "reporting.md"
SEQUENTIAL = int(os.environ.get("BENCH_REPORTS", "40"))
THREADS = 8
PER_THREAD = 5
EXPORTS = int(os.environ.get("BENCH_EXPORTS", "10"))


def _setup() -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opinion.settings")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{statistics.median(ordered) * 1000:.0f} ms (p95 {p95 * 1000:.0f} ms, n={len(ordered)})"


def main() -> None:
    _setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Unit, User
    from incidents.services import incident_create
    from incidents.timeline import Actor
    from reporting import exports
    from reporting.services import report_create_draft, report_submit, report_update

    unit = Unit.default()
    officer = User.objects.create(username="bench-duty", first_name="值班员", unit=unit)
    officer.groups.add(Group.objects.get(name="值班员"))
    signer = User.objects.create(username="bench-lead", first_name="签发人", unit=unit)
    signer.groups.add(Group.objects.get(name="领导小组"))
    actor = Actor.of(officer)
    fields = {
        "summary": "微博网友发帖称某区一所学校食堂使用过期食材，配图显示食品包装日期。" * 3,
        "first_outlet": "新浪微博@某区生活圈",
        "first_url": "https://weibo.com/1234567890/AbCdEf",
        "spread": "截至目前相关信息共126条，负面占61%，主要分布于微博、微信、抖音。" * 2,
        "facts": "经区市场监管局现场核查，涉事食材为临期而非过期，已全部下架封存。" * 3,
        "background": "该校去年曾因食堂问题被家长投诉。",
        "attachments": "1. 网帖截图\n2. 核查记录",
        "report_to": "市委网信办",
        "send_to": "市公安局",
        "copies": 5,
    }

    def new_draft() -> object:
        now = timezone.now()
        incident = incident_create(
            actor=actor,
            grade="major",
            title="某区网传学校食堂食材过期",
            summary="网传某校食堂使用过期食材。",
            source="monitoring",
            occurred_at=now - timedelta(minutes=30),
            discovered_at=now - timedelta(minutes=10),
            first_published_at=now - timedelta(minutes=20),
        )
        started = time.perf_counter()
        draft = report_create_draft(incident=incident, kind="first", actor=actor)
        drafting.append(time.perf_counter() - started)
        return report_update(report=draft, actor=actor, signer=signer, **fields)

    drafting: list[float] = []
    submitting: list[float] = []
    drafts = [new_draft() for _ in range(SEQUENTIAL)]
    for draft in drafts:
        started = time.perf_counter()
        report_submit(report=draft, actor=actor)  # type: ignore[arg-type]
        submitting.append(time.perf_counter() - started)

    concurrent = [new_draft() for _ in range(THREADS * PER_THREAD)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(batch: list[object]) -> None:
        try:
            barrier.wait()
            for draft in batch:
                report_submit(report=draft, actor=actor)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - reported in the figures
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(concurrent[i * PER_THREAD : (i + 1) * PER_THREAD],))
        for i in range(THREADS)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    from reporting.models import Report

    numbers = sorted(Report.objects.filter(unit=unit, number__isnull=False).values_list("number", flat=True))
    gapless = numbers == list(range(1, len(numbers) + 1))

    report = Report.objects.filter(number__isnull=False).select_related("unit", "signer").first()
    assert report is not None
    docx_t, pdf_t = [], []
    exports.report_pdf(report)  # warm fonts
    for _ in range(EXPORTS):
        started = time.perf_counter()
        docx = exports.report_docx(report)
        docx_t.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf = exports.report_pdf(report)
        pdf_t.append(time.perf_counter() - started)

    lines = [
        "# Reporting benchmark",
        "",
        f"Command: `.venv/bin/python -m bench reporting` (machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL on 127.0.0.1).",
        "",
        "| What | Figure |",
        "|---|---|",
        f"| Draft creation (prefill from incident + monitoring) | {_ms(drafting)} |",
        f"| Submission, one at a time (number, deadline met, timeline, next 续报 clock) | {_ms(submitting)} |",
        f"| Submission, {THREADS} threads × {PER_THREAD} at once | {THREADS * PER_THREAD / wall:.0f} reports/s "
        f"({wall * 1000:.0f} ms wall), errors: {len(errors)} |",
        f"| Issue numbers after the run | {len(numbers)} numbers, gapless and unique: {gapless} |",
        f"| Word export (python-docx) | {_ms(docx_t)}, {len(docx) // 1024} KiB |",
        f"| PDF export (WeasyPrint, Noto CJK subset) | {_ms(pdf_t)}, {len(pdf) // 1024} KiB |",
        "",
        "The PDF dominates: WeasyPrint lays out the page and subsets the CJK font each time. It is",
        "produced on request (a download), not in the submission transaction.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
