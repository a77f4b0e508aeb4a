"""Async report runs (meta-graph.md §6.4; ads-insights.md §1.3): how a long range is read.

Every job is a stored :class:`InsightsReport` before and after each step, so a sync killed with
its worker polls the job it had posted (never posts another blindly) and reads its rows from the
page after the last one stored. A job is done only at "Job Completed" *and* 100 % (Meta shows
100 % while still running). A failed, skipped or stalled job is posted once more; a second
failure, or Meta's "too much data" (100 / 1487534) at once, splits it: by halves of its date
range, then a single day by campaign. A single day of a single campaign that still fails is
recorded as failed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import time
import typing as t

import sqlalchemy as sa

from metaads.graph.client import GraphClient
from metaads.graph.encoding import NO_FIELDS, join_fields
from metaads.graph.errors import GraphError, GraphInvalidParameterError
from metaads.insights import dates
from metaads.insights import rows as insight_rows
from metaads.insights.store import AdIndex, store_page
from metaads.models import AdCampaign, InsightsReport, ReportStatus
from metaads.service import act
from plugins.core.extensions import db

COMPLETED = "Job Completed"
FAILED_STATES = ("Job Failed", "Job Skipped")
POLL_FIELDS = ("async_status", "async_percent_completion", "error_code", "error_subcode", "error_message")
#: Seconds before the second poll of a job; each later pause doubles, up to the configured one.
FIRST_POLL_PAUSE = 0.25
#: How many times one report is posted before it is split.
ATTEMPTS = 2


def is_too_much_data(code: t.Any, subcode: t.Any) -> bool:
    """Meta's "Please reduce the amount of data you're asking for": shrink the request, don't wait."""
    return str(code) == "100" and str(subcode) == "1487534"


class InsightsIncomplete(GraphError):
    """Some report could not be read even split to one day of one campaign."""


@dataclasses.dataclass(frozen=True)
class Settings:
    page_size: int
    poll_seconds: float
    job_timeout: float
    report_days: int
    store_rows: int

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        return cls(
            page_size=int(config["METAADS_INSIGHTS_PAGE_SIZE"]),
            poll_seconds=float(config["METAADS_INSIGHTS_POLL_SECONDS"]),
            job_timeout=float(config["METAADS_INSIGHTS_JOB_TIMEOUT"]),
            report_days=int(config["METAADS_INSIGHTS_REPORT_DAYS"]),
            store_rows=int(config["METAADS_INSIGHTS_STORE_ROWS"]),
        )


class Outcome(enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"
    TOO_MUCH_DATA = "too_much_data"


@dataclasses.dataclass
class ReportReader:
    """Reads one account's range for one sync run through async report runs."""

    client: GraphClient
    token: str
    index: AdIndex
    sync_run_id: int
    settings: Settings
    on_rows: t.Callable[[int], None]
    sleep: t.Callable[[float], None] = time.sleep

    def read(self, since: dt.date, until: dt.date) -> None:
        """Plan the reports (once: a resumed run finds them) and work through them in order."""
        if self._reports().first() is None:
            for start, stop in dates.split(since, until, self.settings.report_days):
                self._add(start, stop)
            db.session.commit()
        while (
            report := self._reports().where(InsightsReport.status.in_([ReportStatus.PENDING, ReportStatus.RUNNING])).first()
        ) is not None:
            self._work(report)
        failed = self._reports().where(InsightsReport.status == ReportStatus.FAILED).all()
        if failed:
            raise InsightsIncomplete("; ".join(f"{r.since} {r.meta_campaign_id or ''}: {r.error}" for r in failed))

    def _reports(self) -> t.Any:
        account_id = self.index.account_id
        return (
            db.session.query(InsightsReport)
            .filter_by(sync_run_id=self.sync_run_id, ad_account_id=account_id)
            .order_by(InsightsReport.id)
        )

    def _add(self, since: dt.date, until: dt.date, *, campaign: str | None = None, parent: int | None = None) -> None:
        db.session.add(
            InsightsReport(
                sync_run_id=self.sync_run_id,
                ad_account_id=self.index.account_id,
                since=since,
                until=until,
                meta_campaign_id=campaign,
                parent_id=parent,
            )
        )

    def _work(self, report: InsightsReport) -> None:
        if report.report_run_id is None:
            self._post(report)
        outcome = self._wait(report)
        if outcome is Outcome.COMPLETED:
            self._read_rows(report)
        elif outcome is Outcome.TOO_MUCH_DATA or report.attempts >= ATTEMPTS:
            self._split(report)
        else:  # the one retry: this job is known to have failed, so posting again is not blind
            report.report_run_id, report.status = None, ReportStatus.PENDING
        db.session.commit()

    def _post(self, report: InsightsReport) -> None:
        node = report.meta_campaign_id or act(self.index.meta_account_id)
        params = {
            "level": "ad",
            "time_increment": 1,
            "time_range": {"since": report.since.isoformat(), "until": report.until.isoformat()},
            "fields": join_fields(insight_rows.FIELDS),
            "filtering": insight_rows.EVERY_STATUS_FILTER,
        }
        body = self.client.post(f"{node}/insights", self.token, params)
        report.report_run_id = str(body["report_run_id"])
        report.status, report.attempts, report.async_status, report.percent = ReportStatus.RUNNING, report.attempts + 1, None, 0
        report.error, report.after = None, None
        db.session.commit()  # the job exists at Meta now: never lose its id

    def _wait(self, report: InsightsReport) -> Outcome:
        """Poll until the job ends. The first polls come quickly (small jobs finish in a second
        or two and the worker has other work waiting), then every ``poll_seconds``."""
        deadline = time.monotonic() + self.settings.job_timeout
        pause = FIRST_POLL_PAUSE
        while True:
            body = self.client.get(str(report.report_run_id), self.token, fields=POLL_FIELDS)
            report.async_status = str(body.get("async_status") or "")
            report.percent = int(float(body.get("async_percent_completion") or 0))
            db.session.commit()
            if report.async_status == COMPLETED and report.percent >= 100:
                return Outcome.COMPLETED
            if report.async_status in FAILED_STATES:
                report.error = f"{report.async_status}: {body.get('error_message') or 'no reason given'}"
                return (
                    Outcome.TOO_MUCH_DATA
                    if is_too_much_data(body.get("error_code"), body.get("error_subcode"))
                    else Outcome.FAILED
                )
            if time.monotonic() >= deadline:
                report.error = f"stalled at {report.async_status or 'no status'} {report.percent} %"
                return Outcome.FAILED
            self.sleep(min(pause, self.settings.poll_seconds))
            pause *= 2

    def _read_rows(self, report: InsightsReport) -> None:
        """Store the job's rows a few pages at a time (bigger statements are cheaper per row),
        each batch committed with the cursor after its last page."""
        pages = self.client.pages(
            f"{report.report_run_id}/insights",
            self.token,
            fields=NO_FIELDS,
            page_size=self.settings.page_size,
            after=report.after,
        )
        batch: list[t.Any] = []
        for page in pages:
            batch.extend(page.items)
            report.after = page.after
            if len(batch) >= self.settings.store_rows or page.after is None:
                self._store(report, batch)
                batch = []
        self._store(report, batch)
        report.status = ReportStatus.STORED

    def _store(self, report: InsightsReport, batch: list[t.Any]) -> None:
        stored = store_page(self.index, batch)
        report.rows += stored
        self.on_rows(stored)
        db.session.commit()  # a resumed read continues after the last page of this batch

    def _split(self, report: InsightsReport) -> None:
        report.status = ReportStatus.SPLIT
        if report.since < report.until:
            middle = report.since + dt.timedelta(days=(report.until - report.since).days // 2)
            self._add(report.since, middle, campaign=report.meta_campaign_id, parent=report.id)
            self._add(middle + dt.timedelta(days=1), report.until, campaign=report.meta_campaign_id, parent=report.id)
        elif report.meta_campaign_id is None:
            for campaign in self._campaigns_of(report.since):
                self._add(report.since, report.until, campaign=campaign, parent=report.id)
        else:
            report.status = ReportStatus.FAILED

    def _campaigns_of(self, day: dt.date) -> list[str]:
        """The campaigns with delivery on ``day`` (one small synchronous read at campaign level);
        every campaign we know of in the account when even that is too much for Meta."""
        params = {
            "level": "campaign",
            "time_range": {"since": day.isoformat(), "until": day.isoformat()},
            "filtering": insight_rows.EVERY_STATUS_FILTER,
        }
        path = f"{act(self.index.meta_account_id)}/insights"
        try:
            found = self.client.paginate(path, self.token, params, fields=("campaign_id",), page_size=self.settings.page_size)
            return sorted({str(row["campaign_id"]) for row in found if row.get("campaign_id")})
        except GraphInvalidParameterError as exc:
            if not is_too_much_data(exc.code, exc.subcode):
                raise
        known = sa.select(AdCampaign.meta_campaign_id).where(AdCampaign.ad_account_id == self.index.account_id)
        return sorted(db.session.execute(known).scalars())
