"""The supervision pages: dashboard with inline SVG and no script, overdue list with one-click 督办
(escalation row, SMS through the outbox, audit event, once per assignment), escalation list,
CSV/XLSX exports, the monthly report as HTML and PDF, and the bulk seed's consistency."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline.bulk_seed import seed_reports
from hotline.models import Assignment, AuditEvent, Escalation, Notification, Report, utcnow
from tests import factories
from tests.conftest import csrf_token
from tests.functional.test_analytics import Timeline
from tests.functional.test_console_and_security import login
from triage.escalation import escalate_due


@pytest.fixture
def setup(app, db_session):
    timeline = Timeline(db_session)
    now = utcnow()
    received = now - timedelta(days=2)
    late = timeline.report(received, level="red")
    on_time = timeline.report(received)
    overdue = timeline.assign(late, timeline.station, ack_due=received + timedelta(minutes=15))
    db_session.add(Escalation(assignment_id=overdue.id, report_id=late.id, step="ack_overdue", fired_at=received))
    timeline.assign(
        on_time, timeline.police, acked=received + timedelta(minutes=10), feedback_due=now + timedelta(days=1)
    )
    factories.user(db_session, "supervisor", username="sup", jurisdiction_code="330102")
    db_session.commit()
    return {"late": late, "overdue": overdue, "on_time": on_time}


def test_dashboard_renders_svg_charts_without_scripts(client, setup) -> None:
    login(client, "sup")
    response = client.get("/supervision/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg") == 2 and "<script" not in page and 'style="' not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert '<dd id="total-reports">2</dd>' in page and '<dd id="total-ack">50.0%</dd>' in page
    assert "湖滨派出所" in page and "上城区公安" in page


def test_period_arguments_are_validated(client, setup) -> None:
    login(client, "sup")
    assert client.get("/supervision/?start=garbage&end=2026-13-40").status_code == 200
    far = client.get("/supervision/?start=2000-01-01&end=2026-03-01").get_data(as_text=True)
    assert 'value="2025-03-01"' in far  # at most 366 days


def test_overdue_list_and_one_click_supervision(client, setup, db_session) -> None:
    login(client, "sup")
    page = client.get("/supervision/overdue").get_data(as_text=True)
    assert setup["late"].reference in page and setup["on_time"].reference not in page and "签收超时提醒" in page
    token = csrf_token(client, "/supervision/overdue")
    url = f"/supervision/assignments/{setup['overdue'].id}/supervise"
    response = client.post(url, data={"csrf_token": token, "note": "请立即签收"}, follow_redirects=True)
    assert "已督办" in response.get_data(as_text=True)
    manual = db_session.scalar(select(Escalation).where(Escalation.step == "manual"))
    assert manual.assignment_id == setup["overdue"].id and manual.note == "请立即签收" and manual.actor_label == "sup"
    sms = db_session.scalar(select(Notification).where(Notification.purpose == "escalation_manual"))
    assert sms.recipient.startswith("+86") and setup["late"].reference in sms.body and "尚未签收" in sms.body
    assert "小红" not in sms.body and "王老师" not in sms.body
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "escalation.manual"))
    assert event.report_id == setup["late"].id and event.reason == "请立即签收" and event.actor_label == "sup"
    again = client.post(url, data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "分钟内不重复发送" in again
    assert db_session.scalar(select(func.count()).select_from(Notification)) == 1
    assert db_session.scalar(select(func.count()).select_from(Escalation).where(Escalation.step == "manual")) == 1
    listed = client.get("/supervision/escalations").get_data(as_text=True)
    assert "人工督办" in listed and "请立即签收" in listed


def test_a_repeated_notice_waits_an_hour_and_is_its_own_step(client, setup, db_session) -> None:
    login(client, "sup")
    token = csrf_token(client, "/supervision/overdue")
    url = f"/supervision/assignments/{setup['overdue'].id}/supervise"
    client.post(url, data={"csrf_token": token, "note": "第一次"})
    assert "已督办" in client.get("/supervision/overdue").get_data(as_text=True)  # no form for an hour
    first = db_session.scalar(select(Escalation).where(Escalation.step == "manual"))
    first.fired_at = utcnow() - timedelta(minutes=61)
    db_session.commit()
    page = client.get("/supervision/overdue").get_data(as_text=True)
    assert f'action="{url}"' in page  # the form is back
    response = client.post(url, data={"csrf_token": token, "note": "仍未签收"}, follow_redirects=True)
    assert "已督办 " + setup["late"].reference in response.get_data(as_text=True)
    second = db_session.scalar(select(Escalation).where(Escalation.step == "manual_2"))
    assert second.note == "仍未签收"
    dedupe_keys = db_session.scalars(select(Notification.dedupe_key).order_by(Notification.id)).all()
    assert dedupe_keys == [f"manual:{setup['overdue'].id}:sms", f"manual_2:{setup['overdue'].id}:sms"]
    listed = client.get("/supervision/escalations").get_data(as_text=True)
    assert "人工督办(第 2 次)" in listed


def test_supervision_needs_an_overdue_active_assignment_and_csrf(client, setup, db_session) -> None:
    login(client, "sup")
    fine = db_session.scalar(select(Assignment).where(Assignment.report_id == setup["on_time"].id))
    token = csrf_token(client, "/supervision/overdue")
    page = client.post(
        f"/supervision/assignments/{fine.id}/supervise", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "尚未超期" in page
    assert client.post(f"/supervision/assignments/{setup['overdue'].id}/supervise").status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Escalation).where(Escalation.step == "manual")) == 0


def test_csv_and_xlsx_exports(client, setup) -> None:
    login(client, "sup")
    response = client.get("/supervision/export/agency.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名称", "报告数", "转办数"] and len(rows[0]) == 15
    assert {r[0] for r in rows[1:]} == {"湖滨派出所", "上城区公安"}
    overdue = list(csv.reader(io.StringIO(client.get("/supervision/export/overdue.csv").data.decode("utf-8-sig"))))
    assert overdue[1][0] == setup["late"].reference and overdue[1][5] == "签收" and overdue[1][8] == "签收超时提醒"
    workbook = load_workbook(io.BytesIO(client.get("/supervision/export/all.xlsx").data))
    assert workbook.sheetnames == ["按承办单位", "按单位类型", "按等级", "按地区", "按周趋势"]
    levels = list(workbook["按等级"].iter_rows(values_only=True))
    assert levels[1][:3] == ("红色·紧急", 1, 1) and levels[2][:3] == ("橙色·高", 1, 1)
    escalations = load_workbook(io.BytesIO(client.get("/supervision/export/escalations.xlsx").data))
    assert list(escalations.active.iter_rows(values_only=True))[1][3] == "签收超时提醒"
    assert client.get("/supervision/export/secrets.csv").status_code == 404
    assert client.get("/supervision/export/all.csv").status_code == 404


def test_monthly_report_html_and_pdf(client, setup) -> None:
    login(client, "sup")
    month = setup["late"].received_at.strftime("%Y-%m")
    page = client.get(f"/supervision/monthly?month={month}").get_data(as_text=True)
    assert "受理报告 2 件" in page and setup["late"].reference in page
    assert "小红" not in page and "王老师" not in page
    pdf = client.get(f"/supervision/monthly.pdf?month={month}")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.get("/supervision/monthly?month=nonsense").status_code == 200


def test_bulk_seed_is_consistent_with_the_escalation_ladder(app, db_session) -> None:
    """Every step due by now has already fired in the seeded data: a sweep right after finds nothing."""
    result = seed_reports(db_session, 300, seed=7)
    db_session.commit()
    assert result.reports == 300 and result.assignments > 300 and result.escalations > 0
    levels = set(db_session.scalars(select(Report.urgency).distinct()))
    assert {"red", "orange", "yellow", "blue"} <= levels
    statuses = set(db_session.scalars(select(Report.status).distinct()))
    assert {"closed", "in_progress"} <= statuses
    fired = escalate_due(db_session, utcnow())
    assert fired == {"ack_overdue": 0, "ack_overdue_twice": 0, "feedback_overdue": 0}
    again = seed_reports(db_session, 10, seed=7)
    assert again.reports == 10 and db_session.scalar(select(func.count()).select_from(Report)) == 310
