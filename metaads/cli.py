"""``flask metaads ...``: workers and operations."""

from __future__ import annotations

import time
import typing as t

import click
from flask.cli import AppGroup

from metaads.insights.sync import sync_insights
from metaads.models import SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sync.ads import sync_ads
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.registry import platform_state

cli = AppGroup("metaads", help="Meta ads and leads: workers and operations.")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@click.option("--queue", "queues", multiple=True, help="Queues to work (default: every registered queue).")
@click.option("--no-fork", is_flag=True, help="Run jobs in this process (faster for many short jobs; less isolation).")
def worker_command(burst: bool, queues: tuple[str, ...], no_fork: bool) -> None:
    """Run an RQ worker on the registered queues; one app context per job."""
    runner = jobs.runner()
    if runner.mode != "rq":
        raise click.UsageError("REDIS_URL is not set: jobs run inside the web process, no worker is needed.")
    runner.work(queues or None, fork=not no_fork, burst=burst)


@cli.command("scheduler")
def scheduler_command() -> None:
    """Run the periodic jobs (reconciler, sweeper, token and subscription checks).

    Start as many as you like: with Redis only one schedules at a time (a lock in Redis), and a
    restarted one takes over where the last stopped.
    """
    from flask import current_app

    from plugins.core.scheduler import run_scheduler

    click.echo("Scheduling: " + ", ".join(job.name for job in platform_state().periodic_jobs))
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


@cli.command("sync-leads")
def sync_leads_command() -> None:
    """Reconcile every subscribed form now, in this process, and print what it found."""
    from metaads.capture.reconcile import reconcile_leads
    from metaads.models import SyncRun
    from metaads.sync.runs import start_run
    from plugins.core.extensions import db

    run = start_run("leads", trigger="cli")
    reconcile_leads(run.id)
    db.session.expire_all()
    done = db.session.get(SyncRun, run.id)
    assert done is not None
    counts = ", ".join(f"{key} {value}" for key, value in sorted((done.counts or {}).items())) or "nothing to read"
    click.echo(f"Sync run {done.id}: {done.status.value}; {counts}.")
    if done.error:
        click.echo(done.error, err=True)


@cli.command("sync-ads")
@click.option("--full", is_flag=True, help="Read every object (and notice deletions) even where a full pass is not due.")
def sync_ads_command(full: bool) -> None:
    """Sync every connected ad account's campaigns, ad sets and ads now, in this process."""
    run = finished_run(sync_ads(full=full, trigger="cli"))
    while run.status == SyncRunStatus.RUNNING:
        wait = float((run.progress or {}).get("resume_after_seconds") or 60)
        if jobs.runner().mode == "rq":
            click.echo(f"Sync run {run.id}: paused by Meta's rate limit; a worker resumes it in {wait:.0f} s.")
            return
        # No worker to hand the rest to: wait as Meta said, here.
        click.echo(f"Sync run {run.id}: Meta asked us to wait {wait:.0f} s; waiting.")
        time.sleep(wait)
        run = finished_run(sync_ads(run.id))
    counts = ", ".join(f"{key} {value}" for key, value in sorted((run.counts or {}).items())) or "no connected ad account"
    click.echo(f"Sync run {run.id}: {run.status.value}; {counts}.")
    if run.status != SyncRunStatus.SUCCEEDED:
        raise click.ClickException(f"sync run {run.id} {run.status.value}: {run.error or 'no reason recorded'}")


def finished_run(run_id: int) -> SyncRun:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    if run is None:
        raise click.ClickException(f"sync run {run_id} is gone")
    return run


@cli.command("sync-insights")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (account time zone). Default: 28 days ago.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (account time zone). Default: today.")
def sync_insights_command(since: t.Any, until: t.Any) -> None:
    """Sync daily ad insights of every connected ad account now, in this process (default: the
    last 28 days and today, Meta's restatement window). Waits out Meta's rate limits."""
    first, last = (since.date() if since else None), (until.date() if until else None)
    if first and last and first > last:
        raise click.ClickException("--since must not be after --until.")
    run = finished_run(sync_insights(since=first, until=last, trigger="cli", job=resumed_in_foreground))
    while run.status == SyncRunStatus.RUNNING:
        wait = float((run.progress or {}).get("resume_after_seconds") or 60)
        click.echo(f"Sync run {run.id}: Meta asked us to wait {wait:.0f} s; waiting.")
        time.sleep(wait)
        run = finished_run(sync_insights(run.id, job=resumed_in_foreground))
    counts = ", ".join(f"{key} {value}" for key, value in sorted((run.counts or {}).items())) or "no ad account to read"
    click.echo(f"Sync run {run.id}: {run.status.value}; {counts}.")
    if run.status in (SyncRunStatus.FAILED, SyncRunStatus.PARTIAL):
        raise click.ClickException(" ".join((run.error or "the sync failed").split()))


def resumed_in_foreground(run_id: int) -> int:
    """What a rate-limit pause queues for ``sync-insights``: nothing to do, the command itself
    waits and continues the run (a queued resume would run it twice)."""
    return run_id


@cli.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
def sandbox_command(host: str, port: int) -> None:
    """Serve the local Graph emulator (Meta's API for development and tests)."""
    from metaads.sandbox.app import create_sandbox_app, serve_described

    serve_described(create_sandbox_app(sandbox_config_from(current_app_config())), host, port)


def current_app_config() -> dict[str, t.Any]:
    from flask import current_app

    return dict(current_app.config)


def sandbox_config_from(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The sandbox speaks for the app configured here, so the two agree on id and secret."""
    pairs = {"APP_ID": config.get("FACEBOOK_CLIENT_ID"), "APP_SECRET": config.get("FACEBOOK_CLIENT_SECRET")}
    return {key: value for key, value in pairs.items() if value}


@cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sandbox-port", default=5001, show_default=True, type=int)
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconds between new leads.")
def demo_command(host: str, port: int, sandbox_port: int, interval: float) -> None:
    """The embedded-default showcase: app + Graph sandbox + worker, leads arriving live."""
    from flask import current_app

    from metaads.demo import run_demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_MODE"] == "rq":
        raise click.UsageError("the demo runs jobs in-process: unset REDIS_URL")
    run_demo(app, host=host, port=port, sandbox_port=sandbox_port, interval=interval)
