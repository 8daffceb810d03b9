"""Ingest benchmark: detections pushed to a real gunicorn (2 workers) on PostgreSQL.

Set-up: a fresh database with 1,000 open incidents, each with a keyword rule of 3 groups × 5
terms (place, subject, event), realistic Chinese posts of 150–600 characters of which about half
match some incident. Measured: sustained batch ingest (detections/s, p50/p99 per batch of
1,000), single-item requests/s, and in-process costs (item validation with plain checks vs a DRF
serializer, matching, automaton build). Figures go to docs/performance/ingest.md.

Run: ``.venv/bin/python -m bench ingest`` (needs PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_opinion_ingest")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
INCIDENTS = 1000
BATCH = 1000
BATCHES = int(os.environ.get("BENCH_BATCHES", "60"))
BATCH_CONNECTIONS = 2
SINGLES = int(os.environ.get("BENCH_SINGLES", "3000"))
SINGLE_CONNECTIONS = 4
OUT = ROOT / "docs" / "performance" / "ingest.md"

CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "成都",
    "杭州",
    "武汉",
    "西安",
    "南京",
    "重庆",
    "天津",
    "苏州",
    "长沙",
    "郑州",
    "青岛",
    "沈阳",
    "宁波",
    "昆明",
    "大连",
    "厦门",
    "合肥",
    "福州",
    "济南",
    "南昌",
    "哈尔滨",
    "长春",
    "石家庄",
    "太原",
    "南宁",
    "贵阳",
]
DISTRICTS = [
    "东城",
    "西城",
    "朝阳",
    "海淀",
    "丰台",
    "浦东",
    "黄浦",
    "徐汇",
    "天河",
    "越秀",
    "福田",
    "南山",
    "锦江",
    "武侯",
    "西湖",
    "滨江",
    "江汉",
    "洪山",
    "雁塔",
    "碑林",
    "鼓楼",
    "玄武",
    "渝中",
    "江北",
    "和平",
    "河西",
    "姑苏",
    "岳麓",
    "金水",
    "市南",
]
SUBJECTS = [
    "学校",
    "医院",
    "食堂",
    "地铁",
    "公交",
    "小区",
    "物业",
    "幼儿园",
    "养老院",
    "菜市场",
    "超市",
    "景区",
    "高速",
    "派出所",
    "街道办",
    "城管",
    "供电局",
    "自来水",
    "燃气公司",
    "外卖平台",
    "快递网点",
    "工地",
    "化工厂",
    "银行",
    "保险公司",
    "房地产",
    "中学",
    "大学",
    "卫生院",
    "社区",
    "商场",
    "酒店",
    "餐馆",
    "药店",
    "诊所",
    "车站",
    "机场",
    "码头",
    "公园",
    "图书馆",
]
EVENTS = [
    "食材过期",
    "食物中毒",
    "坍塌",
    "停电",
    "停水",
    "燃气泄漏",
    "火灾",
    "拖欠工资",
    "欠薪",
    "群体聚集",
    "强拆",
    "乱收费",
    "暴力执法",
    "霸凌",
    "虐童",
    "医疗纠纷",
    "漏水",
    "电梯故障",
    "交通事故",
    "追尾",
    "塌方",
    "污染",
    "异味",
    "噪音扰民",
    "延期交房",
    "烂尾",
    "维权",
    "投诉",
    "举报",
    "辟谣",
    "违规收费",
    "校服质量",
    "饭菜变质",
    "疫苗",
    "落水",
    "踩踏",
    "爆炸",
    "偷排",
    "倒卖",
    "诈骗",
]
FILLER = [
    "有网友发帖称",
    "据多名知情人士透露",
    "记者从相关部门了解到",
    "事件引发大量网友关注和转发",
    "评论区有网友表示自己也曾遇到类似情况",
    "截至发稿时相关部门尚未作出正式回应",
    "当地居民表示希望有关部门尽快调查处理并公布结果",
    "多名家长在群里讨论此事，情绪较为激动",
    "现场视频显示，不少群众围观拍摄",
    "有自媒体账号转发相关内容并配以夸大标题",
    "相关话题一度登上同城热搜榜",
    "网传图片显示，现场秩序较为混乱",
    "官方微博回应称已成立工作专班，正在核实情况",
    "也有网友认为应当等待官方调查结果，不信谣不传谣",
    "律师表示，如情况属实，相关责任人可能面临处罚",
    "目前事件仍在进一步发酵中",
    "今天上午",
    "昨天晚上",
    "据报道",
    "值得注意的是",
]
PLATFORMS = ["微博", "微信", "新闻", "抖音", "快手", "论坛", "小红书", "今日头条"]
OUTLETS = [f"{c}{kind}" for c in CITIES for kind in ("日报", "晚报", "发布", "新闻网", "本地宝")] + [
    f"网友{n:04d}" for n in range(400)
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MONITORING_RATE": "10000000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "opinion.settings",
        **extra,
    }


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def _rule_terms(rng: random.Random) -> list[list[str]]:
    city = rng.choice(CITIES)
    places = [city, *(f"{city}{d}" for d in rng.sample(DISTRICTS, 4))]
    return [places, rng.sample(SUBJECTS, 5), rng.sample(EVENTS, 5)]


def _post(rng: random.Random, rules: list[list[list[str]]]) -> tuple[str, str]:
    parts = rng.sample(FILLER, rng.randrange(4, 10))
    if rng.random() < 0.5:  # about half are about some incident
        groups = rng.choice(rules)
        place, subject, event = (rng.choice(g) for g in groups)
    else:
        place, subject, event = rng.choice(DISTRICTS), rng.choice(SUBJECTS), "情况"
    title = f"{place}一{subject}被曝{event}"
    sentence = f"{place}某{subject}{event}，"
    body = "，".join(parts[:2]) + "，" + sentence + "。".join(parts[2:]) + "。"
    while len(body) < rng.randrange(150, 600):
        body += "。".join(rng.sample(FILLER, 3)) + "。"
    return title, body


def _items(
    rng: random.Random, rules: list[list[list[str]]], prefix: str, count: int, now: datetime
) -> list[dict]:
    out = []
    for i in range(count):
        title, text = _post(rng, rules)
        outlet = rng.choice(OUTLETS)
        out.append(
            {
                "external_id": f"{prefix}-{i}",
                "url": f"https://m.example.cn/{prefix}/{i}",
                "platform": rng.choice(PLATFORMS),
                "outlet": outlet,
                "author": outlet,
                "title": title,
                "text": text,
                "published_at": (now - timedelta(minutes=rng.randrange(0, 600))).isoformat(),
                "metrics": {
                    "reads": rng.randrange(0, 100000),
                    "reposts": rng.randrange(0, 500),
                    "comments": rng.randrange(0, 500),
                    "likes": rng.randrange(0, 2000),
                },
                "sentiment": rng.choice(["positive", "neutral", "negative", "negative"]),
            }
        )
    return out


def _setup() -> tuple[str, list[list[list[str]]]]:
    """Fresh database, migrations, 1,000 incidents with rules, one client. Returns the key."""
    _psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    _psql(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=_env(), check=True
    )
    script = r"""
import json, random, sys
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from datetime import timedelta
from incidents.models import Incident, Unit
from incidents.choices import Grade, Source
from monitoring.models import KeywordRule
from monitoring.services import client_create, rules_version_bump
rules = json.loads(sys.stdin.read())
unit = Unit.default()
now = timezone.now()
with transaction.atomic():
    incidents = Incident.objects.bulk_create([
        Incident(reference=f"YQ-BENCH-{i:04d}", title=f"基准事件{i}", summary="基准测试", grade=Grade.GENERAL,
                 source=Source.MONITORING, occurred_at=now - timedelta(hours=2), discovered_at=now - timedelta(hours=1),
                 unit=unit)
        for i in range(len(rules))])
    KeywordRule.objects.bulk_create([KeywordRule(incident=inc, groups=g, exclude=["演练", "测试"], scope="both")
                                     for inc, g in zip(incidents, rules)])
    rules_version_bump()
client, key = client_create(name="bench")
print(key)
"""
    rng = random.Random(42)
    rules = [_rule_terms(rng) for _ in range(INCIDENTS)]
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_env(),
        input=json.dumps(rules, ensure_ascii=False),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1], rules


def _start_gunicorn(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "opinion.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=_env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/keyword-rules/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _run(port: int, key: str, bodies: list[bytes], connections: int) -> tuple[float, list[float], list[int]]:
    """Send every body over ``connections`` keep-alive connections; wall time and latencies."""
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: list[int] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        while True:
            with lock:
                if not queue:
                    break
                _i, body = queue.pop()
            started = time.perf_counter()
            conn.request("POST", "/api/v1/detections/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.append(response.status)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, statuses


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _in_process(rules: list[list[list[str]]], items: list[dict]) -> dict[str, float]:
    """Per-item costs of validation (plain vs DRF serializer) and matching, in this process."""
    os.environ.update(
        {k: v for k, v in _env().items() if k in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    )
    import django

    django.setup()
    from monitoring.api.serializers import DetectionItemInput
    from monitoring.matching import RuleSpec, compile_rules
    from monitoring.validation import validate_item

    now = datetime.now(tz=UTC)
    sample = items[:1000]
    started = time.perf_counter()
    for raw in sample:
        validate_item(raw, now=now)
    plain = (time.perf_counter() - started) / len(sample) * 1e6
    started = time.perf_counter()
    for raw in sample:
        s = DetectionItemInput(data=raw)
        s.is_valid()
    drf = (time.perf_counter() - started) / len(sample) * 1e6
    specs = [
        RuleSpec(incident_id=i, groups=tuple(tuple(g) for g in r), exclude=("演练", "测试"))
        for i, r in enumerate(rules)
    ]
    started = time.perf_counter()
    matcher = compile_rules(specs)
    build = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    matched = sum(bool(matcher.match(raw["title"], raw["text"])) for raw in sample)
    match = (time.perf_counter() - started) / len(sample) * 1e6
    return {
        "validate_plain_us": plain,
        "validate_drf_us": drf,
        "automaton_build_ms": build,
        "match_us": match,
        "matched_share": matched / len(sample),
    }


def main() -> None:
    print("setting up database with 1,000 incidents …", flush=True)
    key, rules = _setup()
    rng = random.Random(7)
    now = datetime.now(tz=UTC)
    print("generating posts …", flush=True)
    batches = [_items(rng, rules, f"b{n}", BATCH, now) for n in range(BATCHES)]
    resend = [{**it, "metrics": {**it["metrics"], "reads": it["metrics"]["reads"] + 10}} for it in batches[0]]
    batch_bodies = [json.dumps({"items": b}, ensure_ascii=False).encode() for b in batches]
    resend_bodies = [json.dumps({"items": resend}, ensure_ascii=False).encode()] * 10
    singles = _items(rng, rules, "s", SINGLES, now)
    single_bodies = [json.dumps({"items": [it]}, ensure_ascii=False).encode() for it in singles]
    avg_kib = statistics.mean(len(b) for b in batch_bodies) / 1024

    port = _free_port()
    server = _start_gunicorn(port)
    try:
        print("warm-up …", flush=True)
        _run(
            port,
            key,
            [json.dumps({"items": _items(rng, rules, "w", BATCH, now)}, ensure_ascii=False).encode()] * 1,
            1,
        )
        print(f"batch ingest: {BATCHES} × {BATCH} over {BATCH_CONNECTIONS} connections …", flush=True)
        wall, lat, statuses = _run(port, key, batch_bodies, BATCH_CONNECTIONS)
        assert set(statuses) == {200}, statuses
        resend_wall, resend_lat, statuses = _run(port, key, resend_bodies, BATCH_CONNECTIONS)
        assert set(statuses) == {200}, statuses
        print(f"single items: {SINGLES} over {SINGLE_CONNECTIONS} connections …", flush=True)
        single_wall, single_lat, statuses = _run(port, key, single_bodies, SINGLE_CONNECTIONS)
        assert set(statuses) == {200}, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)
    costs = _in_process(rules, batches[0])
    figures = {
        "batch_rate": BATCHES * BATCH / wall,
        "batch_p50_ms": _pct(lat, 50) * 1000,
        "batch_p99_ms": _pct(lat, 99) * 1000,
        "resend_rate": len(resend_bodies) * BATCH / resend_wall,
        "resend_p50_ms": _pct(resend_lat, 50) * 1000,
        "single_rps": SINGLES / single_wall,
        "single_p50_ms": _pct(single_lat, 50) * 1000,
        "single_p99_ms": _pct(single_lat, 99) * 1000,
        **costs,
    }
    _write(figures, avg_kib)
    _psql(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    print(json.dumps(figures, indent=2), flush=True)


def _write(f: dict[str, float], avg_kib: float) -> None:
    verdict = "meets" if f["batch_rate"] >= 5000 else "misses"
    text = f"""# Ingest benchmark

Command: `.venv/bin/python -m bench ingest` (also part of `make bench`).
Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC on this machine ({os.cpu_count()} cores, Python
{platform.python_version()}); gunicorn with 2 sync workers on 127.0.0.1 (ephemeral port),
PostgreSQL 15 and Redis on the same machine, the load generator too (it shares the 2 cores).

Set-up: 1,000 open incidents, each with a keyword rule of 3 groups × 5 terms (place, subject,
event; 2 exclusion terms); posts of 150–600 Chinese characters built from news/post phrases,
about half of them about some incident ({f["matched_share"]:.0%} matched at least one);
{BATCHES} batches of {BATCH} new detections, {avg_kib:.0f} KiB per request.

| measure | figure | target |
| --- | --- | --- |
| sustained batch ingest ({BATCH_CONNECTIONS} connections) | **{f["batch_rate"]:,.0f} detections/s** | ≥ 5,000/s: {verdict} |
| latency per batch of 1,000, p50 / p99 | {f["batch_p50_ms"]:,.0f} ms / {f["batch_p99_ms"]:,.0f} ms | |
| resending a batch of 1,000 (all updates) | {f["resend_rate"]:,.0f} detections/s, p50 {f["resend_p50_ms"]:,.0f} ms | |
| single-item requests ({SINGLE_CONNECTIONS} connections) | **{f["single_rps"]:,.0f} requests/s** | |
| single-item latency p50 / p99 | {f["single_p50_ms"]:,.1f} ms / {f["single_p99_ms"]:,.1f} ms | |

In-process costs per item (the same posts):

| step | cost |
| --- | --- |
| validation, plain checks (`monitoring.validation`) | {f["validate_plain_us"]:,.1f} µs |
| validation, DRF serializer (`DetectionItemInput`) | {f["validate_drf_us"]:,.1f} µs |
| matching against 1,000 rules (one automaton, NFKC + casefold) | {f["match_us"]:,.1f} µs |
| building the automaton for 1,000 rules (per rules change, per process) | {f["automaton_build_ms"]:,.0f} ms |

The load generator, PostgreSQL and both workers share 2 cores, and other processes on the
machine move the figures by ±30 % between runs: compare runs made on a quiet machine.

Why plain checks: the serializer costs about {f["validate_drf_us"] / max(f["validate_plain_us"], 0.01):.0f}× as much per item,
which at 1,000 items is {f["validate_drf_us"] - f["validate_plain_us"]:,.0f} ms more per batch; both report errors per field.
"""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT}", flush=True)
