-- Realistic size for a provincial deployment, three years: 30 units, 300 users,
-- 30,000 incidents, ~63,000 deadlines, 1,000,000 detections and matches, 45,000 reports,
-- 210,000 alerts with ~1,050,000 notifications.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT setseed(0.42);
INSERT INTO incidents_unit (id, name, code) SELECT g, '单位'||g, 'u'||g FROM generate_series(2, 30) g;
INSERT INTO incidents_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, mobile, unit_id)
SELECT g, '!', false, 'user'||g, '人'||g, '', '', false, true, now(), '', 1 + (g - 1) % 30 FROM generate_series(1, 300) g;
INSERT INTO incidents_user_groups (user_id, group_id) SELECT g, CASE WHEN g % 10 = 0 THEN 3 ELSE 1 END FROM generate_series(1, 300) g;
SELECT setval(pg_get_serial_sequence('incidents_user', 'id'), 1000);
SELECT setval(pg_get_serial_sequence('incidents_unit', 'id'), 1000);

-- Incidents: 1,000 per unit over three years; the last two weeks' still open.
INSERT INTO incidents_incident (id, reference, title, summary, occurred_at, discovered_at, first_outlet, first_url, spread, facts, background, source, grade, warning_level, response_level, status, created_at, updated_at, owner_id, created_by_id, unit_id)
SELECT g, 'YQ-'||g, '网传某区第'||g||'号舆情', '微博网友发帖称……', t, t + interval '20 minutes', '', '', '', '', '', 
  (ARRAY['monitoring','public','police','media'])[1 + g % 4],
  (ARRAY['general','general','general','larger','larger','major','especially_major'])[1 + g % 7], '', '',
  CASE WHEN t > now() - interval '14 days' THEN (ARRAY['new','reported','responding','monitoring','subsided'])[1 + g % 5] ELSE 'closed' END,
  t, t, 1 + (g % 300), 1 + (g % 300), 1 + (g % 300) % 30
FROM (SELECT g, now() - (interval '3 years') * ((30000 - g)::float / 30000) - interval '1 hour' * random() AS t FROM generate_series(1, 30000) g) s;
SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), 100000);

-- Deadlines: 首报 for each (met or, for open incidents, some running), 续报 for major ones.
INSERT INTO incidents_deadline (kind, sequence, due_at, met_at, cancelled_at, created_at, incident_id)
SELECT 'first_report', 1, i.occurred_at + interval '4 hours',
  CASE WHEN i.status = 'closed' OR i.id % 3 = 0 THEN i.occurred_at + interval '3 hours' END, NULL, i.created_at, i.id FROM incidents_incident i;
INSERT INTO incidents_deadline (kind, sequence, due_at, met_at, cancelled_at, created_at, incident_id)
SELECT 'follow_up', s, i.occurred_at + interval '8 hours' * s,
  CASE WHEN i.status = 'closed' THEN i.occurred_at + interval '7 hours' * s END,
  NULL, i.created_at, i.id FROM incidents_incident i, generate_series(1, 3) s WHERE i.grade IN ('major', 'especially_major');
INSERT INTO incidents_deadline (kind, sequence, due_at, met_at, cancelled_at, created_at, incident_id)
SELECT 'police_notice', 1, i.occurred_at + interval '1 hour', i.occurred_at + interval '50 minutes', NULL, i.created_at, i.id FROM incidents_incident i WHERE i.source = 'police';

-- Detections: one monitoring system, 1,000,000 items, each matched to one incident (the
-- recent and the big ones get most).
INSERT INTO monitoring_monitoringclient (id, name, description, is_active, rate, created_at) VALUES (1, '某舆情监测系统', '', true, '', now());
INSERT INTO monitoring_detection (id, external_id, url, platform, outlet, author, title, text, published_at, captured_at, updated_at, at, reads, reposts, comments, likes, sentiment, incident_ids, client_id)
SELECT g, 'e'||g, 'https://weibo.example.cn/'||g, (ARRAY['微博','抖音','微信','新闻','论坛'])[1 + g % 5], '网友'||(g % 5000), '', '某区学校食堂被曝使用过期食材', '有网友发帖称……',
  i.occurred_at + interval '1 minute' * (g % 2880), now(), now(), i.occurred_at + interval '1 minute' * (g % 2880),
  g % 1000, g % 50, g % 30, g % 80, (ARRAY['negative','neutral','positive'])[1 + g % 3], jsonb_build_array(i.id), 1
FROM (SELECT g, 1 + floor(30000 * (1 - power(random(), 3)))::int AS incident FROM generate_series(1, 1000000) g) s
JOIN incidents_incident i ON i.id = LEAST(s.incident, 30000);
INSERT INTO monitoring_match (at, detection_id, incident_id) SELECT d.at, d.id, (d.incident_ids->>0)::bigint FROM monitoring_detection d;
SELECT setval(pg_get_serial_sequence('monitoring_detection', 'id'), 2000000);

-- Reports: a submitted 首报 for each incident past its first hours; a 续报 for half (drafts
-- for open ones).
INSERT INTO reporting_report (kind, sequence, status, grade, document_name, secrecy, year, number, title, summary, first_outlet, first_url, spread, spread_data, facts, background, attachments, trend_assessment, measures, suggestions, outcome, assessment, report_to, send_to, copy_to, submitted_at, on_time, minutes_late, created_at, updated_at, incident_id, signer_id, submitted_by_id, created_by_id, unit_id, deadline_id)
SELECT 'first', 1, 'submitted', i.grade, '舆情专报', '内部资料', extract(year FROM i.occurred_at)::int,
  row_number() OVER (PARTITION BY i.unit_id, extract(year FROM i.occurred_at) ORDER BY i.id),
  i.title, '', '', '', '', '{}', '', '', '', '', '', '', '', '', '市委网信办', '', '',
  i.occurred_at + interval '3 hours', i.id % 9 <> 0, CASE WHEN i.id % 9 = 0 THEN 13 ELSE 0 END,
  i.occurred_at + interval '2 hours', i.occurred_at + interval '3 hours', i.id, 10 * (1 + i.unit_id % 30), i.owner_id, i.owner_id, i.unit_id, NULL
FROM incidents_incident i;
INSERT INTO reporting_report (kind, sequence, status, grade, document_name, secrecy, year, number, title, summary, first_outlet, first_url, spread, spread_data, facts, background, attachments, trend_assessment, measures, suggestions, outcome, assessment, report_to, send_to, copy_to, submitted_at, on_time, minutes_late, created_at, updated_at, incident_id, signer_id, submitted_by_id, created_by_id, unit_id, deadline_id)
SELECT 'follow_up', 1, CASE WHEN i.status = 'closed' THEN 'submitted' ELSE 'draft' END, i.grade, '舆情专报', '内部资料',
  CASE WHEN i.status = 'closed' THEN extract(year FROM i.occurred_at)::int END,
  CASE WHEN i.status = 'closed' THEN 100000 + i.id END,
  i.title, '', '', '', '', '{}', '', '', '', '', '', '', '', '', '市委网信办', '', '',
  CASE WHEN i.status = 'closed' THEN i.occurred_at + interval '9 hours' END, CASE WHEN i.status = 'closed' THEN true END, CASE WHEN i.status = 'closed' THEN 0 END,
  i.occurred_at + interval '8 hours', i.occurred_at + interval '9 hours', i.id, CASE WHEN i.status = 'closed' THEN 10 * (1 + i.unit_id % 30) END,
  CASE WHEN i.status = 'closed' THEN i.owner_id END, i.owner_id, i.unit_id, NULL
FROM incidents_incident i WHERE i.id % 2 = 0;

-- Alerts: 7 per incident (t-30, t-10, due and four repeats), most acknowledged; each told 4
-- people in-app (owner, a duty officer, head, a leader) and the unit's robot.
INSERT INTO alerts_alert (id, kind, audience, key, due_at, stage, stage_name, repeat, stage_at, next_stage_at, fired_at, message, data, acknowledged_at, acknowledged_by_id, deadline_id, incident_id, policy_version)
SELECT row_number() OVER (), CASE WHEN s.n = 1 THEN 'due_soon' WHEN s.n = 2 THEN 'due_soon' WHEN s.n = 3 THEN 'due_now' ELSE 'overdue' END,
  CASE WHEN s.n = 1 THEN 'owner' WHEN s.n = 2 THEN 'unit_head' ELSE 'leadership' END,
  'deadline:'||d.id||':'||s.n, d.due_at, (ARRAY['t-30','t-10','due','due','due','due','due'])[s.n], '', GREATEST(s.n - 3, 0),
  d.due_at + interval '10 minutes' * (s.n - 3), NULL, d.due_at + interval '10 minutes' * (s.n - 3), '首报即将到期', '{}',
  CASE WHEN i.status = 'closed' THEN d.due_at + interval '1 hour' END, CASE WHEN i.status = 'closed' THEN i.owner_id END, d.id, i.id, ''
FROM incidents_deadline d JOIN incidents_incident i ON i.id = d.incident_id, generate_series(1, 7) s(n)
WHERE d.kind = 'first_report';
SELECT setval(pg_get_serial_sequence('alerts_alert', 'id'), 1000000);
INSERT INTO alerts_notification (channel_kind, address, status, attempts, next_attempt_at, last_error, last_code, delivered_at, read_at, idempotency_key, created_at, alert_id, channel_id, recipient_id)
SELECT 'in_app', '', 'delivered', 1, a.fired_at, '', '', a.fired_at, CASE WHEN a.acknowledged_at IS NOT NULL OR a.id % 4 <> 0 THEN a.fired_at + interval '5 minutes' END,
  gen_random_uuid(), a.fired_at, a.id, NULL, r.u
FROM alerts_alert a JOIN incidents_incident i ON i.id = a.incident_id,
  LATERAL (VALUES (i.owner_id), (1 + (i.owner_id + 30) % 300), (1 + (i.owner_id + 60) % 300), (10 * (1 + i.unit_id % 30))) r(u)
WHERE r.u <> i.owner_id OR true
ON CONFLICT DO NOTHING;
INSERT INTO alerts_notification (channel_kind, address, status, attempts, next_attempt_at, last_error, last_code, delivered_at, read_at, idempotency_key, created_at, alert_id, channel_id, recipient_id)
SELECT 'wecom', '', 'delivered', 1, a.fired_at, '', '', a.fired_at, NULL, gen_random_uuid(), a.fired_at, a.id, NULL, NULL FROM alerts_alert a;
ANALYZE;
