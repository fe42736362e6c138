"""Policy as data (versioned, edited by an administrator, audited, recorded on decisions) and the
agency directory as CSV (all-or-nothing import, export, the CLI)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.cli import main
from hotline.directory import COLUMNS, export_agencies, import_agencies, read_csv
from hotline.models import Agency, AuditEvent, Jurisdiction, PolicyVersion, Report
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_console_and_security import login
from triage.policy import default_policy
from triage.policy_store import active_policy, save_policy

ADMIN = Actor("user", None, "admin", role="admin")


def test_default_policy_until_one_is_saved(db_session) -> None:
    assert active_policy(db_session).version == default_policy().version


def test_saving_a_policy_makes_a_new_version_used_by_triage(app, db_session, drain) -> None:
    factories.demo_area(db_session, app.instance_path)
    document = json.loads(json.dumps(default_policy().document))
    document["levels"]["blue"]["acknowledge_within"] = {"amount": 4, "unit": "hours"}
    saved = save_policy(db_session, document, ADMIN, "试行:蓝色 4 小时内签收")
    db_session.commit()
    assert saved.version != default_policy().version
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "policy.changed"))
    assert (event.before, event.after, event.details["sections"]) == (
        default_policy().version,
        saved.version,
        ["levels"],
    )
    report, _code = factories.report(db_session, factories.BLUE_INTAKE)
    db_session.commit()
    drain()
    db_session.expire_all()
    report = db_session.get(Report, report.id)
    assert report.decisions[0].policy_version == saved.version
    hours = (report.acknowledge_due_at - report.triaged_at).total_seconds() / 3600
    assert abs(hours - 4) < 0.01


def test_invalid_policy_changes_nothing(db_session) -> None:
    document = json.loads(json.dumps(default_policy().document))
    document["levels"]["red"]["acknowledge_within"]["unit"] = "fortnights"
    with pytest.raises(ValueError, match="unit"):
        save_policy(db_session, document, ADMIN, "bad")
    assert db_session.scalar(select(func.count()).select_from(PolicyVersion)) == 0


def test_policy_page_admin_only_and_validates(app, client, db_session) -> None:
    admin = factories.user(db_session, "admin", username="root")
    operator = factories.user(db_session, "operator", username="op9")
    db_session.commit()
    login(client, operator.username)
    assert client.get("/admin/policy").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})
    login(client, admin.username)
    token = csrf_token(client, "/admin/policy")
    bad = client.post(
        "/admin/policy", data={"section": "levels", "document": "{not json", "note": "x", "csrf_token": token}
    )
    assert bad.status_code == 422 and "JSON" in bad.get_data(as_text=True)
    levels = dict(default_policy().document["levels"])
    levels["yellow"] = {
        "acknowledge_within": {"amount": 8, "unit": "hours"},
        "feedback_within": {"amount": 5, "unit": "working_days"},
    }
    ok = client.post(
        "/admin/policy",
        data={
            "section": "levels",
            "document": json.dumps(levels),
            "note": "黄色 8 小时",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(PolicyVersion)) == 1


HEADER = ",".join(COLUMNS[1:])
CSV_OK = f"""{HEADER}
西湖区公安分局,police,330106,西湖区,13900001111,,13900001112,zh,true
北山派出所,police,330106001,北山街道,+86 139 0000 2222,13900002223,,zh,true
"""


def test_import_then_export_round_trip(db_session) -> None:
    result = import_agencies(db_session, read_csv(CSV_OK), ADMIN)
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    station = db_session.scalar(select(Agency).where(Agency.name == "北山派出所"))
    assert station.duty_phone == "+8613900002222"
    assert db_session.get(Jurisdiction, "330106001").parent_code == "330106"
    assert db_session.get(Jurisdiction, "330100").parent_code == "330000"  # parents derived from the code
    exported = export_agencies(db_session)
    rows = read_csv(exported)
    rows[1]["duty_phone"] = "13900003333"
    again = import_agencies(db_session, rows, ADMIN)
    assert (again.created, again.updated) == (0, 2)
    assert station.duty_phone == "+8613900003333"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("某单位,polis,330106,,13900001111,,,zh,true", "agency_type"),
        ("某单位,police,3301,,13900001111,,,zh,true", "jurisdiction_code"),
        ("某单位,police,330106,,12,,,zh,true", "duty_phone"),
        (",police,330106,,13900001111,,,zh,true", "name is required"),
        ("某单位,police,330106,,13900001111,,,fr,true", "language"),
    ],
)
def test_a_bad_row_imports_nothing(db_session, line: str, message: str) -> None:
    text = CSV_OK + line + "\n"
    result = import_agencies(db_session, read_csv(text), ADMIN)
    assert any(message in e and "line 4" in e for e in result.errors), result.errors
    assert db_session.scalar(select(func.count()).select_from(Agency)) == 0


def test_cli_import_and_export(app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "x")
    path = tmp_path / "agencies.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["agencies", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 2" in result.output
    exported = runner.invoke(main, ["agencies", "export"])
    assert "北山派出所" in exported.output
    path.write_text(CSV_OK + "坏行,polis,330106,,1,,,zh,true\n", encoding="utf-8")
    failed = runner.invoke(main, ["agencies", "import", str(path)])
    assert failed.exit_code != 0 and "nothing imported" in failed.output


def test_directory_pages(app, client, db_session) -> None:
    factories.demo_area(db_session, app.instance_path)
    supervisor = factories.user(db_session, "supervisor", username="sup7")
    operator = factories.user(db_session, "operator", username="op7")
    db_session.commit()
    login(client, operator.username)
    assert client.get("/admin/agencies").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})
    login(client, supervisor.username)
    assert "湖滨派出所" in client.get("/admin/agencies").get_data(as_text=True)
    download = client.get("/admin/agencies.csv")
    assert download.mimetype == "text/csv" and "湖滨派出所" in download.get_data(as_text=True)
