"""A small set of realistic demo incidents for a fresh local install (``make run``).

Times are relative to now so the clocks are live: one 重大 incident's first report falls due
in 25 minutes (its 30-minute warning fires at once), one police-cooperation story has its 1-hour
notice running, one is already overdue, and one was reported (on time) and is being watched."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.choices import DeadlineKind, Grade, Source, Status
from incidents.models import Incident, User
from incidents.services import deadline_meet, incident_create, incident_transition
from incidents.timeline import Actor


@transaction.atomic
def demo_load(*, actor_user: User) -> list[Incident]:
    actor = Actor.of(actor_user)
    now = timezone.now()
    made = [
        incident_create(
            actor=actor,
            title="网传某小区自来水发黄发臭，多名居民就医",
            summary="微博网友“城东老街坊”发帖称某小区自来水连续两天发黄并有异味，称有老人饮用后腹泻就医，帖文配图三张。",
            grade=Grade.MAJOR,
            source=Source.MONITORING,
            occurred_at=now - timedelta(hours=1, minutes=35),
            discovered_at=now - timedelta(hours=1, minutes=10),
            first_published_at=now - timedelta(hours=1, minutes=30),
            first_outlet="新浪微博",
            first_url="https://weibo.com/example/status/1",
            spread="发布1小时内转发约1200次，评论800余条，被两个本地生活类公众号转载。",
            facts="经供水公司初步核查，系管网维修后冲洗不彻底所致，水质检测结果待出。",
            background="该小区管网于上周进行改造施工。",
        ),
        incident_create(
            actor=actor,
            title="短视频称某派出所民警执法粗暴",
            summary="抖音用户发布约40秒视频，称某派出所民警在处置纠纷时推搡群众，视频未显示事件起因。",
            grade=Grade.LARGER,
            source=Source.POLICE,
            occurred_at=now - timedelta(minutes=50),
            discovered_at=now - timedelta(minutes=20),
            first_outlet="抖音",
            first_url="https://www.douyin.com/video/example",
            spread="播放量约3万，评论区出现质疑声音。",
        ),
        incident_create(
            actor=actor,
            title="网民反映某路段施工夜间噪音扰民",
            summary="本地论坛帖文称某路段道路施工连续一周夜间作业至凌晨，影响周边居民休息。",
            grade=Grade.GENERAL,
            source=Source.PUBLIC,
            occurred_at=now - timedelta(hours=5),
            discovered_at=now - timedelta(hours=4, minutes=30),
            first_outlet="本地论坛",
        ),
    ]
    watched = incident_create(
        actor=actor,
        title="某景区门票“阴阳价格”引发讨论",
        summary="游客发帖称同一景区线上线下票价不一致，质疑存在价格欺诈。",
        grade=Grade.GENERAL,
        source=Source.MEDIA,
        occurred_at=now - timedelta(days=1, hours=3),
        discovered_at=now - timedelta(days=1, hours=2),
        first_outlet="今日头条",
        facts="经市场监管部门核实，差价系线上平台优惠券所致，不存在价格欺诈。",
    )
    deadline_meet(
        deadline=watched.deadlines.get(kind=DeadlineKind.FIRST_REPORT),
        actor=actor,
        at=watched.discovered_at + timedelta(hours=1, minutes=20),
    )
    incident_transition(incident=watched, actor=actor, status=Status.REPORTED, reason="首报已电话及书面报送")
    incident_transition(incident=watched, actor=actor, status=Status.RESPONDING, reason="已发布情况说明")
    incident_transition(incident=watched, actor=actor, status=Status.MONITORING, reason="持续关注网民反馈")
    return [*made, watched]
