"""The ``hotline`` command: serve, worker, sweep, seed, db, users, API tokens, triage classify.

Each command builds the app only if it needs one: ``hotline triage classify`` touches no
database, queue or network, as its contract requires.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import secrets
import sys
import time

import click
from flask import Flask
from sqlalchemy import select

from hotline.taxonomy import UserRole


def _app() -> Flask:
    from hotline import create_app

    return create_app()


@click.group()
def main() -> None:
    """未成年人保护强制报告热线 / hotline: intake, triage and tracking of reports."""


def register_commands(app: Flask) -> None:
    """Expose the same commands under ``flask --app wsgi`` for operators used to Flask."""
    app.cli.add_command(main, name="hotline")


@main.command()
@click.option("--host", default=None, help="Listen address (default HOTLINE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default HOTLINE_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Run the embedded default: web, worker and sweeper in one process."""
    from hotline import create_app
    from hotline.db import get_db
    from hotline.migrate import upgrade
    from hotline.queue import start_embedded_runner
    from hotline.seed import seed_demo

    host = host or os.environ.get("HOTLINE_HOST", "127.0.0.1")
    overrides: dict = {}
    if "HOTLINE_SECURE_COOKIES" not in os.environ and _is_loopback(host):
        overrides["SECURE_COOKIES"] = False  # plain http on this machine only
    app = create_app(overrides)
    port = port or app.config["PORT"]
    upgrade(app.config["DATABASE_URL"])
    if app.config["DEMO_SEED"]:
        with get_db(app).session() as session:
            logins = seed_demo(session, app.instance_path)
            session.commit()
        if logins:
            click.echo("\n演示账户 / demo accounts (also in instance/demo-logins.txt):")
            for username, password, role in logins:
                click.echo(f"  {username:<12} {password:<16} {role}")
        else:
            click.echo(f"演示账户见 / demo logins: {os.path.join(app.instance_path, 'demo-logins.txt')}")
    if app.config["EMBEDDED_WORKER"] and not app.config["REDIS_URL"]:
        start_embedded_runner(app)
    click.echo(f"\n热线已启动 / hotline running: http://{host}:{port}/  (report form: /report, console: /console)\n")
    app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queues",
    default="",
    help="Comma-separated queues to take, in priority order (default: all). E.g. triage,notify,notify_low "
    "for workers that must never be busy with a dashboard refresh, and analytics for one that does only those.",
)
def worker(burst: bool, queues: str) -> None:
    """Run an rq worker on HOTLINE_REDIS_URL (real deployment)."""
    from hotline.queue import run_worker

    names = [name.strip() for name in queues.split(",") if name.strip()]
    run_worker(_app(), burst=burst, queue_names=names or None)


@main.command()
@click.option("--loop", is_flag=True, help="Sweep every HOTLINE_SWEEP_INTERVAL seconds until stopped.")
def sweep(loop: bool) -> None:
    """Re-enqueue work the queue lost; with --loop, run as the sweeper process."""
    import socket

    from triage.sweeper import sweep as run_sweep

    app = _app()
    name = f"sweeper@{socket.gethostname()}:{os.getpid()}"
    while True:
        with app.app_context():
            result = run_sweep(app, process_name=name)
        click.echo(f"{result}")
        if not loop:
            return
        time.sleep(app.config["SWEEP_INTERVAL"])


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration to HOTLINE_DATABASE_URL."""
    from hotline.migrate import upgrade

    app = _app()
    upgrade(app.config["DATABASE_URL"])
    click.echo("数据库已是最新 / database is up to date")


@main.command()
@click.option("--reports", type=int, default=0, help="Also generate N realistic reports spread over a year.")
@click.option("--random-seed", type=int, default=20260101, help="Seed of the generator (same seed, same data).")
def seed(reports: int, random_seed: int) -> None:
    """Seed the demo area, agencies and accounts into an empty database; optionally N reports."""
    from hotline.bulk_seed import seed_reports
    from hotline.db import get_db
    from hotline.seed import seed_demo

    app = _app()
    with get_db(app).session() as session:
        logins = seed_demo(session, app.instance_path)
        session.commit()
        if logins is None:
            click.echo("数据库已有用户,未播种演示账户 / users exist already: no demo accounts seeded")
        else:
            for username, password, role in logins:
                click.echo(f"{username}\t{password}\t{role}")
        if reports:
            result = seed_reports(session, reports, seed=random_seed)
            session.commit()
            click.echo(str(result))


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), required=True)
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--agency-id", type=int, default=None, help="Agency of an agency_staff account.")
@click.option("--jurisdiction", default=None, help="Division code a supervisor oversees.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    username: str,
    role: str,
    display_name: str | None,
    agency_id: int | None,
    jurisdiction: str | None,
    password_stdin: bool,
) -> None:
    """Create a staff account (the password is asked for, never taken as an argument)."""
    from hotline.db import get_db
    from hotline.models import Agency, User
    from hotline.security import hash_password

    if role == UserRole.AGENCY_STAFF and agency_id is None:
        raise click.UsageError("agency_staff accounts need --agency-id")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("Password: ")
    if len(password) < 10:
        raise click.UsageError("密码至少 10 个字符 / the password needs at least 10 characters")
    app = _app()
    with get_db(app).session() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise click.UsageError(f"user {username} exists")
        if agency_id is not None and session.get(Agency, agency_id) is None:
            raise click.UsageError(f"no agency {agency_id}")
        session.add(
            User(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password),
                role=role,
                agency_id=agency_id,
                jurisdiction_code=jurisdiction,
            )
        )
        session.commit()
    click.echo(f"created {username} ({role})")


@main.group()
def token() -> None:
    """API bearer tokens."""


@token.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["reports:read", "reports:write"]),
    help="Repeat for several; default both.",
)
def token_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a token for NAME and print it once (only its hash is stored)."""
    from hotline.db import get_db
    from hotline.models import ApiToken
    from hotline.web.api import hash_token

    value = "hx_" + secrets.token_urlsafe(32)
    app = _app()
    with get_db(app).session() as session:
        session.add(
            ApiToken(
                name=name,
                token_hash=hash_token(value),
                scopes=" ".join(scopes or ("reports:read", "reports:write")),
            )
        )
        session.commit()
    click.echo(value)


@main.group()
def partner() -> None:
    """12345 partner platforms that send work orders (POST /api/v1/workorders)."""


@partner.command("create")
@click.argument("name")
@click.option("--callback", "callback_url", default=None, help="HTTPS URL the feedback on closed reports is pushed to.")
def partner_create(name: str, callback_url: str | None) -> None:
    """Register partner NAME; print its key id and secret once (hand them over securely)."""
    from hotline.db import get_db
    from hotline.workorders import create_partner

    app = _app()
    with get_db(app).session() as session:
        try:
            key_id, secret = create_partner(session, name, callback_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="NAME / --callback") from exc
        session.commit()
    click.echo(f"key id: {key_id}")
    click.echo(f"secret: {secret}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Seal what is due, then check the audit hash chain; exit 1 at the first broken link."""
    from hotline.audit_chain import seal, verify
    from hotline.db import get_db

    app = _app()
    with get_db(app).session() as session:
        seal(session)
        session.commit()
        result = verify(session)
    if result.ok:
        click.echo(f"审计链完整 / audit chain intact: {result.sealed} sealed, {result.unsealed} not yet sealed")
        return
    click.echo(
        f"审计链断裂 / audit chain BROKEN at sequence {result.broken_at_seq} (event {result.broken_event_id}): "
        f"{result.problem}",
        err=True,
    )
    raise SystemExit(1)


@main.group()
def agencies() -> None:
    """The agency directory (CSV)."""


@agencies.command("export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True), default="-")
def agencies_export(path: str) -> None:
    """Write every agency to PATH (default: standard output) as CSV."""
    from hotline.db import get_db
    from hotline.directory import export_agencies

    app = _app()
    with get_db(app).session() as session:
        text = export_agencies(session)
    click.open_file(path, "w", encoding="utf-8").write(text)


@agencies.command("import")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
def agencies_import(path: str) -> None:
    """Create or update agencies from a CSV file; a file with any bad row changes nothing."""
    from hotline.audit import Actor
    from hotline.db import get_db
    from hotline.directory import import_agencies, read_csv

    app = _app()
    with open(path, encoding="utf-8") as handle:
        rows = read_csv(handle.read())
    with get_db(app).session() as session:
        result = import_agencies(session, rows, Actor.system(f"cli import {os.path.basename(path)}"))
        if result.errors:
            session.rollback()
            for error in result.errors:
                click.echo(error, err=True)
            raise SystemExit(f"{len(result.errors)} error(s): nothing imported")
        session.commit()
    click.echo(f"created {result.created}, updated {result.updated}")


@main.group()
def triage() -> None:
    """The triage engine."""


@triage.command("classify")
@click.argument("path", type=click.Path(dir_okay=False))
def triage_classify(path: str) -> None:
    """Classify INPUT.jsonl (one intake object a line) to standard output; no database needed."""
    from triage.batch import main as classify_main

    sys.exit(classify_main(path, sys.stdout))


if __name__ == "__main__":
    main()
