"""``flask socials ...``: connect Facebook with a token (system users, scripts)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from plugins.socials.connect import ConnectError, check_tokens, connect_with_token

cli = AppGroup("socials", help="Connected social accounts.")


@cli.command("connect-token")
@click.option("--access-token", required=True, help="A user or system-user token with the required scopes.")
def connect_token_command(access_token: str) -> None:
    """Connect Facebook with a token: pages, page tokens, page subscriptions, first sync."""
    try:
        result = connect_with_token(access_token)
    except ConnectError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Connected (connection {result.platform_id}): {result.pages} pages, {result.subscribed} subscribed to leads.")
    if result.missing_scopes:
        click.echo("Missing permissions: " + ", ".join(result.missing_scopes), err=True)


@cli.command("check-tokens")
def check_tokens_command() -> None:
    """Ask Facebook about every connection's token now (the scheduler does it daily)."""
    counts = check_tokens()
    click.echo(", ".join(f"{key} {value}" for key, value in counts.items()))
