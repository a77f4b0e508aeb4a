"""``flask accounts ...``: create admins and API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from plugins.accounts.models import ApiToken
from plugins.accounts.passwords import password_problem
from plugins.accounts.service import create_admin, find_user, issue_token
from plugins.core.extensions import db
from plugins.core.models import utcnow

cli = AppGroup("accounts", help="Users and API tokens.")


@cli.command("create-admin")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
@click.option("--name", default=None, help="Display name.")
def create_admin_command(email: str, password: str, name: str | None) -> None:
    """Create an admin user (or make EMAIL an admin with this password)."""
    problem = password_problem(password)
    if problem:
        raise click.UsageError(problem)
    user, created = create_admin(email, password, name)
    click.echo(f"{'Created' if created else 'Updated'} admin {user.email} (id {user.id}).")


@cli.command("issue-token")
@click.argument("email")
@click.option("--name", default="api", help="What the token is for.")
def issue_token_command(email: str, name: str) -> None:
    """Print a new API token for EMAIL (the last line of output). It is shown only once."""
    user = find_user(email)
    if user is None:
        raise click.UsageError(f"no user with email {email}")
    token = issue_token(user, name)
    click.echo(f"API token for {user.email} ({name}); store it now, it is not shown again:", err=True)
    click.echo(token)


@cli.command("list-tokens")
@click.argument("email")
def list_tokens_command(email: str) -> None:
    """List EMAIL's tokens (hint, name, last used, revoked)."""
    user = find_user(email)
    if user is None:
        raise click.UsageError(f"no user with email {email}")
    for row in user.tokens:
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        used = f"{row.last_used_at:%Y-%m-%d %H:%M} UTC" if row.last_used_at else "never"
        click.echo(f"{row.hint}…  {row.name}  last used {used}  {state}")


@cli.command("revoke-token")
@click.argument("hint")
def revoke_token_command(hint: str) -> None:
    """Revoke the token whose first characters are HINT (as list-tokens shows them)."""
    rows = (
        db.session.execute(db.select(ApiToken).where(ApiToken.hint.startswith(hint), ApiToken.revoked_at.is_(None)))
        .scalars()
        .all()
    )
    if len(rows) != 1:
        raise click.UsageError(f"{len(rows)} active tokens match {hint!r}; give more characters")
    rows[0].revoked_at = utcnow()
    db.session.commit()
    click.echo(f"Revoked {rows[0].hint}… ({rows[0].name}).")
