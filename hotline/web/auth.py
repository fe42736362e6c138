"""Staff login and logout: argon2 passwords, per-address throttling and per-account lockout."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hotline import audit
from hotline.audit import Actor
from hotline.db import request_session
from hotline.extensions import limiter
from hotline.models import User, utcnow
from hotline.security import verify_password
from hotline.taxonomy import UserRole
from hotline.web import client_ip

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    UserRole.OPERATOR: "console.queue",
    UserRole.SUPERVISOR: "console.queue",
    UserRole.ADMIN: "console.queue",
    UserRole.AGENCY_STAFF: "agency.index",
}


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db_session = request_session()
        user = db_session.scalar(select(User).where(User.username == form.username.data.strip()))
        now = utcnow()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            flash(_("登录失败次数过多,账户已暂时锁定,请稍后再试。"), "error")
            return render_template("auth/login.html", form=form), 429
        if user is not None and user.active and verify_password(user.password_hash, form.password.data):
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            audit.record(
                db_session,
                Actor.for_user(user, client_ip()),
                "user.login",
                subject_type="user",
                subject_id=user.id,
            )
            db_session.commit()
            login_user(user)
            return redirect(url_for(HOME_BY_ROLE.get(user.role, "public.index")))
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["LOGIN_LOCKOUT_FAILURES"]:
                user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
                audit.record(
                    db_session,
                    Actor("system", None, "login"),
                    "user.locked",
                    subject_type="user",
                    subject_id=user.id,
                )
            db_session.commit()
        flash(_("用户名或密码不正确。"), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    db_session = request_session()
    audit.record(
        db_session,
        Actor.for_user(current_user, client_ip()),
        "user.logout",
        subject_type="user",
        subject_id=current_user.id,
    )
    db_session.commit()
    logout_user()
    return redirect(url_for("public.index"))
