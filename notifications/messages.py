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
    language: str,
) -> str:
    """The SMS telling an agency's on-duty number that a report was assigned to it."""
    lang = _lang(language)
    level = label(URGENCY_LABELS, urgency, lang)
    category = (
        label(CATEGORY_LABELS, categories[0], lang)
        if categories
        else ("待定" if lang == "zh" else "to be decided")
    )
    role_label = label(ASSIGNMENT_ROLE_LABELS, role, lang)
    if lang == "en":
        return (
            f"{SIGNATURE['en']}New case {reference}, {level}, {category} ({role_label}). "
            f'Acknowledge by {_when(acknowledge_due_at)} (Beijing time): reply "1 {reference}". '
            "Details in the agency portal."
        )
    return (
        f"{SIGNATURE['zh']}新转办 {reference},{level},{category}({role_label})。"
        f"请于 {_when(acknowledge_due_at)} 前签收:回复“1 {reference}”。详情请登录承办单位平台查看。"
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
