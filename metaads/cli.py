"""``flask metaads ...``: workers and operations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from plugins.core import jobs

cli = AppGroup("metaads", help="Meta ads and leads: workers and operations.")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@click.option("--queue", "queues", multiple=True, help="Queues to work (default: all metaads queues).")
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker on metaads' queues; one app context per job."""
    runner = jobs.runner()
    if runner.mode != "rq":
        raise click.UsageError("REDIS_URL is not set: jobs run inside the web process, no worker is needed.")
    worker = runner.make_worker(queues or jobs.QUEUES)
    worker.work(burst=burst, with_scheduler=True)
