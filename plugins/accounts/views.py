"""Login and logout pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from plugins.accounts.passwords import MAX_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from plugins.accounts.service import find_user, normalise_email
from plugins.accounts.throttle import is_throttled, record_attempt
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.core.pages import is_local_path
from plugins.core.registry import platform_state

bp = Blueprint("accounts", __name__, template_folder="templates")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL or a scheme-relative ``//host``; else home."""
    return target if target and is_local_path(target) else str(url_for(platform_state().home_endpoint()))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/login.html", form=form), status
    email = normalise_email(form.email.data or "")
    ip = request.remote_addr or "unknown"
    if is_throttled(email, ip):
        record_attempt(email, ip, succeeded=False)
        flash("Too many failed attempts. Wait a few minutes, then try again.", "error")
        return render_template("accounts/login.html", form=form), 429
    user = find_user(email)
    password = form.password.data or ""
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        record_attempt(email, ip, succeeded=False)
        flash("That email and password do not match an active account.", "error")
        return render_template("accounts/login.html", form=form), 401
    record_attempt(email, ip, succeeded=True)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    session.clear()  # a fresh session on login: nothing from before carries over
    login_user(user)
    return redirect(safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if not current_user.is_authenticated:
        abort(401)
    # Bumping the version makes every cookie issued to this user so far worthless, including
    # copies of this one: Flask's session lives in the cookie, so forgetting it here is not enough.
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
