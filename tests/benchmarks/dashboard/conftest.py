"""The dashboard benchmark's data: 10 ad accounts in three currencies and time zones, 500
campaigns, 2,000 ad sets, 10,000 ads and 200 days of insights per ad (2,000,000 rows), the
~100,000 leads those rows report (minus a few Meta has and we do not: waiting, failed, deleted),
their stages, and the Conversions API events sent for them — all made by PostgreSQL itself
(``generate_series``), so loading takes seconds, not minutes.

- ``METAADS_BENCH_DASHBOARD_URL``: use this database, already loaded by an earlier run (it is not
  dropped afterwards).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
import typing as t
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, migrate_to_head

ADS, DAYS = 10_000, 200
#: The last day of the data (every account's day); the benchmark asks for the 30 days before it.
LAST_DAY = dt.date(2026, 11, 30)
FIRST_DAY = LAST_DAY - dt.timedelta(days=DAYS - 1)
ADMIN_EMAIL = "bench-dashboard@example.com"
ADMIN_PASSWORD = "bench password, not a secret"  # a throwaway database's admin

#: Account n (1..10): currency and time zone.
ACCOUNTS_SQL = """
INSERT INTO metaads_ad_accounts (id, meta_account_id, name, currency, timezone, status, amount_spent, sync_status,
                                 created_at, updated_at)
SELECT n, 'act_' || (100000000 + n), 'Account ' || n,
       (ARRAY['EUR','EUR','EUR','EUR','EUR','EUR','JPY','JPY','USD','USD'])[n],
       (ARRAY['Europe/Berlin','Europe/Berlin','Europe/Madrid','Europe/Berlin','Europe/Paris','Europe/Berlin',
              'Asia/Tokyo','Asia/Tokyo','America/Los_Angeles','America/New_York'])[n],
       'active', 0, 'synced', now(), now()
FROM generate_series(1, 10) AS n
"""
#: 50 campaigns per account, 4 ad sets per campaign, 5 ads per ad set; every ad opens one of its
#: account's two forms.
OBJECTS_SQL = [
    """
    INSERT INTO metaads_lead_forms (id, meta_form_id, name, status, page_id, leads_count, ad_account_id, created_at, updated_at)
    SELECT n, (800000000000 + n)::text, 'Form ' || n, 'ACTIVE', '112233445566778', 0, (n + 1) / 2, now(), now()
    FROM generate_series(1, 20) AS n
    """,
    """
    INSERT INTO metaads_ad_campaigns (id, meta_campaign_id, name, objective, status, effective_status, buying_type,
                                      impressions, clicks, spend, leads, ad_account_id, created_at, updated_at)
    SELECT n, (120210000000000000 + n)::text, 'Campaign ' || n, 'OUTCOME_LEADS',
           CASE WHEN n % 5 = 0 THEN 'PAUSED' ELSE 'ACTIVE' END, CASE WHEN n % 5 = 0 THEN 'PAUSED' ELSE 'ACTIVE' END,
           'AUCTION', 0, 0, 0, 0, (n - 1) / 50 + 1, now(), now()
    FROM generate_series(1, 500) AS n
    """,
    """
    INSERT INTO metaads_ad_sets (id, meta_adset_id, name, status, billing_event, impressions, clicks, spend, leads,
                                 campaign_id, created_at, updated_at)
    SELECT n, (120211000000000000 + n)::text, 'Ad set ' || n, 'ACTIVE', 'IMPRESSIONS', 0, 0, 0, 0, (n - 1) / 4 + 1,
           now(), now()
    FROM generate_series(1, 2000) AS n
    """,
    """
    INSERT INTO metaads_ads (id, meta_ad_id, name, status, lead_gen_form_id, impressions, clicks, spend, leads,
                             ad_set_id, created_at, updated_at)
    SELECT n, (120212000000000000 + n)::text, 'Ad ' || n, 'ACTIVE',
           (800000000000 + 2 * (((n - 1) / 1000)) + 1 + n % 2)::text, 0, 0, 0, 0, (n - 1) / 5 + 1, now(), now()
    FROM generate_series(1, 10000) AS n
    """,
]
#: One row per ad and day: plausible counts from a cheap hash of (ad, day); about one lead per
#: ad every 20 days; spend in minor units (whole yen for JPY); Meta's actions list verbatim.
INSIGHTS_SQL = """
INSERT INTO metaads_ad_insights (ad_id, date, ad_set_id, campaign_id, ad_account_id, impressions, clicks, link_clicks,
                                 reach, spend, leads, actions, currency, synced_at)
SELECT a.id, d.day, s.id, c.id, c.ad_account_id, v.impressions, v.clicks, v.clicks, v.impressions * 2 / 3,
       CASE WHEN acc.currency = 'JPY' THEN v.impressions ELSE v.impressions * 7 / 10 END, v.leads,
       jsonb_build_array(
           jsonb_build_object('action_type', 'link_click', 'value', v.clicks::text),
           jsonb_build_object('action_type', 'page_engagement', 'value', (v.clicks + 3)::text),
           jsonb_build_object('action_type', 'post_engagement', 'value', (v.clicks + 2)::text),
           jsonb_build_object('action_type', 'lead', 'value', v.leads::text),
           jsonb_build_object('action_type', 'onsite_conversion.lead_grouped', 'value', v.leads::text)),
       acc.currency, now()
FROM metaads_ads a
JOIN metaads_ad_sets s ON s.id = a.ad_set_id
JOIN metaads_ad_campaigns c ON c.id = s.campaign_id
JOIN metaads_ad_accounts acc ON acc.id = c.ad_account_id
CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS g(ts)
CROSS JOIN LATERAL (SELECT g.ts::date AS day, (a.id * 7919 + (g.ts::date - %(first)s::date) * 104729) %% 1000 AS h) d
CROSS JOIN LATERAL (SELECT 400 + d.h * 3 AS impressions, 4 + d.h / 40 AS clicks,
                           CASE WHEN d.h < 45 THEN 1 WHEN d.h < 50 THEN 2 ELSE 0 END AS leads) v
"""
#: The leads the rows report, submitted during the day in the account's time zone, except one in
#: fifty (Meta has it, we do not yet: see INBOX_SQL). Stages from a hash: half stay new, the rest
#: move on; each stage's time is set when reached (stages are cumulative). One lead in a hundred
#: has been erased. Plus organic and test leads on the accounts' forms.
LEADS_SQL = """
INSERT INTO metaads_leads (meta_lead_id, ad_id, adset_id, campaign_id, form_id, page_id, is_organic, is_test,
                           created_time, status, source, contacted_at, qualified_at, converted_at, erased_at,
                           lead_form_id, created_at, updated_at)
SELECT (500000000000000000 + i.ad_id::bigint * 1000 + (i.date - %(first)s::date) * 4 + k)::text,
       a.meta_ad_id, s.meta_adset_id, c.meta_campaign_id, a.lead_gen_form_id, '112233445566778', false, false,
       t.at, t.status, 'webhook',
       CASE WHEN t.status IN ('contacted', 'qualified', 'converted', 'archived') THEN t.at + interval '2 hours' END,
       CASE WHEN t.status IN ('qualified', 'converted') THEN t.at + interval '1 day' END,
       CASE WHEN t.status = 'converted' THEN t.at + interval '3 days' END,
       CASE WHEN t.h %% 100 = 7 THEN t.at + interval '30 days' END,
       f.id, t.at, t.at
FROM metaads_ad_insights i
JOIN metaads_ads a ON a.id = i.ad_id
JOIN metaads_ad_sets s ON s.id = i.ad_set_id
JOIN metaads_ad_campaigns c ON c.id = i.campaign_id
JOIN metaads_ad_accounts acc ON acc.id = i.ad_account_id
JOIN metaads_lead_forms f ON f.meta_form_id = a.lead_gen_form_id
CROSS JOIN LATERAL generate_series(1, i.leads) AS k
CROSS JOIN LATERAL (
    SELECT ((i.date + time '08:00' + ((i.ad_id * 37 + k * 11) %% 720) * interval '1 minute') AT TIME ZONE acc.timezone) AS at,
           (i.ad_id * 31 + (i.date - %(first)s::date) * 17 + k) %% 100 AS h
) t0
CROSS JOIN LATERAL (
    SELECT t0.at, t0.h,
           CASE WHEN t0.h < 50 THEN 'new' WHEN t0.h < 70 THEN 'contacted' WHEN t0.h < 80 THEN 'qualified'
                WHEN t0.h < 86 THEN 'converted' WHEN t0.h < 95 THEN 'disqualified' ELSE 'archived' END AS status
) t
WHERE i.leads > 0 AND (i.ad_id + (i.date - %(first)s::date) + k) %% 50 <> 0
"""
EXTRA_LEADS_SQL = """
INSERT INTO metaads_leads (meta_lead_id, form_id, page_id, is_organic, is_test, created_time, status, source,
                           lead_form_id, created_at, updated_at)
SELECT (600000000000000000 + n)::text, f.meta_form_id, '112233445566778', n %% 3 <> 0, n %% 3 = 0,
       %(last)s::date - (n %% %(days)s) * interval '1 day' + interval '10 hours', 'new', 'webhook', f.id, now(), now()
FROM generate_series(1, 3000) AS n
JOIN metaads_lead_forms f ON f.id = n %% 20 + 1
"""
#: The leads left out above, as Meta announced them: most waiting for a worker, some failed,
#: some gone (Meta deleted them before we read them).
INBOX_SQL = """
INSERT INTO metaads_webhook_inbox (dedupe_key, leadgen_id, page_id, form_id, ad_id, created_time, source, status,
                                   attempts, deliveries, received_at)
SELECT x.id, x.id, '112233445566778', a.lead_gen_form_id, a.meta_ad_id,
       (i.date + time '12:00') AT TIME ZONE acc.timezone, 'webhook',
       CASE (i.ad_id + k) %% 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'failed' ELSE 'gone' END, 1, 1, now()
FROM metaads_ad_insights i
JOIN metaads_ads a ON a.id = i.ad_id
JOIN metaads_ad_accounts acc ON acc.id = i.ad_account_id
CROSS JOIN LATERAL generate_series(1, i.leads) AS k
CROSS JOIN LATERAL (SELECT (500000000000000000 + i.ad_id::bigint * 1000 + (i.date - %(first)s::date) * 4 + k)::text AS id) x
WHERE i.leads > 0 AND (i.ad_id + (i.date - %(first)s::date) + k) %% 50 = 0
"""
#: What the Conversions API sent for qualified and converted leads: one event per stage reached.
EVENTS_SQL = """
INSERT INTO metaads_conversion_events (lead_id, stage, event_name, event_id, reached_at, status, created_at, sent_at)
SELECT l.id, st.stage, initcap(st.stage), 'lead-' || l.meta_lead_id || '-' || st.stage, st.at,
       CASE WHEN l.id % 40 = 0 THEN 'failed' ELSE 'sent' END, st.at, st.at
FROM metaads_leads l
CROSS JOIN LATERAL (VALUES ('qualified', l.qualified_at), ('converted', l.converted_at)) AS st(stage, at)
WHERE st.at IS NOT NULL
"""


@dataclasses.dataclass(frozen=True)
class DashboardData:
    url: str  # SQLAlchemy URL of the loaded database
    token: str  # an admin's API token
    rows: int  # ad-day insights rows
    since: dt.date
    until: dt.date
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD


def plain(url: str) -> str:
    """The libpq form of a SQLAlchemy URL."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def dashboard_data() -> t.Iterator[DashboardData]:
    reuse = os.environ.get("METAADS_BENCH_DASHBOARD_URL")
    url = reuse or create_database()
    try:
        if not reuse:
            migrate_to_head(url)
            started = time.perf_counter()
            load(url)
            print(f"\nloaded {ADS * DAYS:,} insights rows and their leads in {time.perf_counter() - started:.1f} s")
        yield describe(url)
    finally:
        if not reuse:
            drop_database(url)


def create_database() -> str:
    name = f"metaads_bench_dashboard_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    server.dispose()


def load(url: str) -> None:
    """Everything by INSERT … SELECT over generate_series, with the secondary indexes of the big
    tables dropped during the load and recreated from their exact definitions afterwards; then
    VACUUM ANALYZE, so the planner and the visibility map are as on a settled production table."""
    params = {"first": FIRST_DAY, "last": LAST_DAY, "days": DAYS}
    with psycopg.connect(plain(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN ('metaads_ad_insights', 'metaads_leads')"
            " AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
        )
        indexes = cur.fetchall()
        for _, name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute(ACCOUNTS_SQL)
        for statement in OBJECTS_SQL:
            cur.execute(statement)
        cur.execute(INSIGHTS_SQL, params)
        cur.execute(LEADS_SQL, params)
        cur.execute(EXTRA_LEADS_SQL, params)
        cur.execute(INBOX_SQL, params)
        cur.execute(EVENTS_SQL)
        for _, _, definition in indexes:
            cur.execute(definition)
        for table in ("metaads_ad_accounts", "metaads_ad_campaigns", "metaads_ad_sets", "metaads_ads", "metaads_lead_forms"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute(
            "UPDATE metaads_lead_forms f SET leads_count = (SELECT count(*) FROM metaads_leads l WHERE l.lead_form_id = f.id)"
        )
        conn.commit()
        conn.autocommit = True
        for table in ("metaads_ad_insights", "metaads_leads", "metaads_webhook_inbox", "metaads_conversion_events"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("ANALYZE")


def describe(url: str) -> DashboardData:
    from plugins.accounts.models import User
    from plugins.accounts.service import create_admin, issue_token
    from plugins.core import create_app
    from plugins.core.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(url))
    with app.app_context():
        user = db.session.execute(sa.select(User).filter_by(email=ADMIN_EMAIL)).scalar_one_or_none()
        if user is None:
            user, _ = create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name="Bench Admin")
        token = issue_token(user, "benchmarks")
        rows = db.session.execute(sa.text("SELECT count(*) FROM metaads_ad_insights")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return DashboardData(url=url, token=token, rows=rows, since=LAST_DAY - dt.timedelta(days=29), until=LAST_DAY)
