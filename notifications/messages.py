"""The texts of every SMS and voice message, in zh-CN and English.

An SMS is not a secure channel (TRIAGE_POLICY §7): these functions take only what may be sent —
the reference, level, category label, deadline, reply code or link — and never the child's name,
the reporter, contact details or the narrative. Their signatures make leaking those impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.taxonomy import (
    ASSIGNMENT_ROLE_LABELS,
    CATEGORY_LABELS,
    URGENCY_LABELS,
    label,
)

SIGNATURE = {"zh": "【未成年人保护热线】", "en": "[Child Protection Hotline] "}
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


def _lang(language: str) -> str:
    return "en" if language.startswith("en") else "zh"


def _when(moment: datetime) -> str:
    return moment.astimezone(DISPLAY_TZ).strftime("%m-%d %H:%M")


def dispatch_sms(
    *,
    reference: str,
    urgency: str,
    categories: Sequence[str],
    role: str,
    acknowledge_due_at: datetime,
    reply_code: str,
    link: str,
    language: str,
) -> str:
    """The SMS telling an agency's on-duty number that a report was assigned to it."""
    lang = _lang(language)
    level = label(URGENCY_LABELS, urgency, lang)
    category = (
        label(CATEGORY_LABELS, categories[0], lang) if categories else ("待定" if lang == "zh" else "to be decided")
    )
    role_label = label(ASSIGNMENT_ROLE_LABELS, role, lang)
    if lang == "en":
        return (
            f"{SIGNATURE['en']}New case {reference}, {level}, {category} ({role_label}). "
            f'Acknowledge by {_when(acknowledge_due_at)} (Beijing time): reply "1 {reply_code}" or open {link}'
        )
    return (
        f"{SIGNATURE['zh']}新转办 {reference},{level},{category}({role_label})。"
        f"请于 {_when(acknowledge_due_at)} 前签收:回复“1 {reply_code}”或打开 {link}"
    )


def dispatch_voice(reference: str, language: str) -> str:
    """What the voice call to the lead agency of a red report says."""
    spoken = " ".join(reference)
    if _lang(language) == "en":
        return (
            f"Child protection hotline. An emergency case, reference {spoken}, has been assigned to you. "
            "Press 1 to acknowledge."
        )
    return f"未成年人保护热线紧急转办。案件编号 {spoken},已转至贵单位主办,请立即处置。签收请按 1。"


def reporter_receipt(reference: str, base_url: str, language: str) -> str:
    """The receipt SMS to a reporter who left a phone number (and did not ask for anonymity)."""
    if _lang(language) == "en":
        return (
            f"{SIGNATURE['en']}Your report {reference} has been received and is being handled. "
            f"Check its status at {base_url}/status with the code shown on the receipt page."
        )
    return (
        f"{SIGNATURE['zh']}您的报告已受理,编号 {reference},正在处理。"
        f"可凭受理页面显示的查询码在 {base_url}/status 查询进度。"
    )


def reporter_closure(reference: str, base_url: str, language: str) -> str:
    """Tells the reporter the report was handled (law art. 11(3)), without any detail."""
    if _lang(language) == "en":
        return (
            f"{SIGNATURE['en']}Your report {reference} has been handled by the responsible agencies "
            f"and is now closed. Thank you for reporting. Status: {base_url}/status"
        )
    return (
        f"{SIGNATURE['zh']}您报告的事项(编号 {reference})已由责任单位处置并办结。"
        f"感谢您履行报告义务。查询:{base_url}/status"
    )


def reminder_sms(
    *, reference: str, urgency: str, step: str, due_at: datetime, reply_code: str, link: str, language: str
) -> str:
    """督办: an overdue step, to the agency (again), its backup contact or the supervisor."""
    lang = _lang(language)
    level = label(URGENCY_LABELS, urgency, lang)
    if lang == "en":
        what = {"ack_overdue": "NOT YET ACKNOWLEDGED", "feedback_overdue": "FEEDBACK OVERDUE"}.get(step, "OVERDUE")
        return (
            f"{SIGNATURE['en']}Reminder: case {reference} ({level}) {what}, deadline was {_when(due_at)}. "
            f'Reply "1 {reply_code}" or open {link}'
        )
    what = {"ack_overdue": "尚未签收", "feedback_overdue": "反馈已超期"}.get(step, "已超期")
    return (
        f"{SIGNATURE['zh']}督办提醒:案件 {reference}({level}){what},时限为 {_when(due_at)}。"
        f"请回复“1 {reply_code}”或打开 {link}"
    )


def supervisor_alert(*, reference: str, urgency: str, step: str, agency_name: str, language: str) -> str:
    """To the minor-protection office: an agency is late, or cannot be reached."""
    lang = _lang(language)
    level = label(URGENCY_LABELS, urgency, lang)
    if lang == "en":
        what = {
            "ack_overdue_twice": "still not acknowledged at twice the deadline",
            "feedback_overdue": "feedback overdue",
            "delivery_failed": "could not be notified (number invalid or blocked)",
        }.get(step, "overdue")
        return f"{SIGNATURE['en']}Supervision: case {reference} ({level}), {agency_name} {what}. See the dashboard."
    what = {
        "ack_overdue_twice": "超过两倍签收时限仍未签收",
        "feedback_overdue": "反馈超期",
        "delivery_failed": "通知无法送达(号码无效或被屏蔽)",
    }.get(step, "超期")
    return f"{SIGNATURE['zh']}督办:案件 {reference}({level}),{agency_name}{what},请在督导页面处理。"


def reply_help(language: str) -> str:
    """The answer to an SMS reply the hotline could not understand or match."""
    if _lang(language) == "en":
        return f'{SIGNATURE["en"]}To acknowledge a case reply "1" and its code or reference, e.g. "1 HX-2026-000123".'
    return f"{SIGNATURE['zh']}签收请回复“1”加案件编号或签收码,例如“1 HX-2026-000123”。"


def reply_unknown_sender(language: str) -> str:
    if _lang(language) == "en":
        return f"{SIGNATURE['en']}This number is not registered for that case. Please use the agency portal."
    return f"{SIGNATURE['zh']}本号码未登记为该案件承办单位号码,请通过承办单位平台签收。"


def reply_acknowledged(reference: str, language: str) -> str:
    if _lang(language) == "en":
        return f"{SIGNATURE['en']}Case {reference} acknowledged. Thank you."
    return f"{SIGNATURE['zh']}案件 {reference} 已签收,谢谢。"
