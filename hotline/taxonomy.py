"""The shared vocabulary: stable codes for levels, categories, MR codes, agencies and roles.

Codes are what the database, the API and the policy files store; labels are what people read
(zh-CN first, English second). Nothing here imports Flask or SQLAlchemy, so the pure triage
engine and the intake parser can depend on it.
"""

from __future__ import annotations

from enum import StrEnum


class Urgency(StrEnum):
    """Urgency levels, from the most to the least urgent (TRIAGE_POLICY §1)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        """3 for red down to 0 for blue, so ``max`` picks the safer level."""
        return _URGENCY_RANK[self]

    @classmethod
    def highest(cls, *levels: Urgency) -> Urgency:
        """The most urgent of the given levels (safety first)."""
        return max(levels, key=lambda level: level.rank)


_URGENCY_RANK = {Urgency.RED: 3, Urgency.ORANGE: 2, Urgency.YELLOW: 1, Urgency.BLUE: 0}

URGENCY_LABELS: dict[Urgency, tuple[str, str]] = {
    Urgency.RED: ("红色·紧急", "Red · emergency"),
    Urgency.ORANGE: ("橙色·高", "Orange · high"),
    Urgency.YELLOW: ("黄色·中", "Yellow · medium"),
    Urgency.BLUE: ("蓝色·一般", "Blue · routine"),
}


class MandatoryReport(StrEnum):
    """The nine mandatory-report situations of the 2020 Opinion, art. 4."""

    MR1 = "MR1"
    MR2 = "MR2"
    MR3 = "MR3"
    MR4 = "MR4"
    MR5 = "MR5"
    MR6 = "MR6"
    MR7 = "MR7"
    MR8 = "MR8"
    MR9 = "MR9"


MR_LABELS: dict[MandatoryReport, tuple[str, str]] = {
    MandatoryReport.MR1: (
        "生殖器官或隐私部位遭受或疑似遭受非正常损伤",
        "Abnormal injury to genitals or private parts",
    ),
    MandatoryReport.MR2: (
        "不满十四周岁女性遭受或疑似遭受性侵害、怀孕、流产",
        "Girl under 14: sexual assault, pregnancy or abortion",
    ),
    MandatoryReport.MR3: (
        "十四周岁以上女性遭受或疑似遭受性侵害所致怀孕、流产",
        "Girl 14 or over: pregnancy or abortion caused by sexual assault",
    ),
    MandatoryReport.MR4: (
        "身体多处损伤、严重营养不良、意识不清,疑似家暴、欺凌、虐待、殴打或被麻醉",
        "Multiple injuries, severe malnutrition or impaired consciousness with suspected violence",
    ),
    MandatoryReport.MR5: (
        "因自杀、自残、工伤、中毒、被麻醉、殴打等非正常原因致伤残、死亡",
        "Disability or death from suicide, self-harm, work injury, poisoning or beating",
    ),
    MandatoryReport.MR6: ("被遗弃或长期处于无人照料状态", "Abandoned or left without care for long"),
    MandatoryReport.MR7: ("来源不明、失踪或者被拐卖、收买", "Unknown origin, missing, trafficked or bought"),
    MandatoryReport.MR8: ("被组织乞讨", "Organized into begging"),
    MandatoryReport.MR9: (
        "其他严重侵害身心健康的情形或正面临不法侵害危险",
        "Other serious harm, or in danger of unlawful harm now",
    ),
}


class Category(StrEnum):
    """Report categories of the dispatch catalogue (TRIAGE_POLICY §4), most serious first."""

    SEXUAL_ABUSE = "sexual_abuse"
    PHYSICAL_ABUSE = "physical_abuse"
    SERIOUS_INJURY_OR_DEATH = "serious_injury_or_death"
    ABANDONMENT_NEGLECT = "abandonment_neglect"
    MISSING_TRAFFICKING = "missing_trafficking"
    ORGANIZED_BEGGING = "organized_begging"
    OTHER_SERIOUS_HARM = "other_serious_harm"
    SELF_HARM_RISK = "self_harm_risk"
    BULLYING = "bullying"
    ONLINE_HARM = "online_harm"
    CHILD_LABOUR = "child_labour"
    EARLY_MARRIAGE = "early_marriage"
    GUARDIANSHIP_GAP = "guardianship_gap"
    HARDSHIP = "hardship"
    EDUCATION_RIGHTS = "education_rights"
    VENUE_VIOLATION = "venue_violation"
    LEGAL_AID = "legal_aid"
    COUNSELLING = "counselling"
    INQUIRY = "inquiry"


CATEGORY_LABELS: dict[Category, tuple[str, str]] = {
    Category.SEXUAL_ABUSE: ("性侵害", "Sexual abuse"),
    Category.PHYSICAL_ABUSE: ("家庭暴力/虐待/殴打", "Physical abuse / family violence"),
    Category.SERIOUS_INJURY_OR_DEATH: ("非正常伤残、死亡", "Serious injury or death"),
    Category.ABANDONMENT_NEGLECT: ("遗弃/无人照料", "Abandonment / neglect"),
    Category.MISSING_TRAFFICKING: ("失踪/拐卖/来源不明", "Missing / trafficked"),
    Category.ORGANIZED_BEGGING: ("被组织乞讨", "Organized begging"),
    Category.OTHER_SERIOUS_HARM: ("其他严重侵害/面临危险", "Other serious harm / danger"),
    Category.SELF_HARM_RISK: ("自杀自伤风险/心理危机", "Suicide or self-harm risk"),
    Category.BULLYING: ("校园欺凌", "Bullying"),
    Category.ONLINE_HARM: ("网络欺凌/网络性侵/不良信息", "Online harm"),
    Category.CHILD_LABOUR: ("非法使用童工", "Child labour"),
    Category.EARLY_MARRIAGE: ("早婚早育", "Early marriage"),
    Category.GUARDIANSHIP_GAP: ("监护缺失/监护不当", "Guardianship gap"),
    Category.HARDSHIP: ("困境/留守儿童生活困难", "Hardship / left-behind child"),
    Category.EDUCATION_RIGHTS: ("辍学/受教育权", "Education rights / dropout"),
    Category.VENUE_VIOLATION: (
        "网吧/娱乐场所接纳未成年人, 售烟酒彩票",
        "Venue admitting minors / sales to minors",
    ),
    Category.LEGAL_AID: ("法律援助", "Legal aid"),
    Category.COUNSELLING: ("心理咨询", "Counselling"),
    Category.INQUIRY: ("政策咨询", "Policy inquiry"),
}


class AgencyType(StrEnum):
    """Agency types of TRIAGE_POLICY §5."""

    POLICE = "police"
    CIVIL_AFFAIRS = "civil_affairs"
    EDUCATION = "education"
    HEALTH = "health"
    PROCURATORATE = "procuratorate"
    COURT = "court"
    JUSTICE = "justice"
    WOMEN_FEDERATION = "women_federation"
    YOUTH_LEAGUE = "youth_league"
    CYBERSPACE = "cyberspace"
    CULTURE_TOURISM = "culture_tourism"
    MARKET_REGULATION = "market_regulation"
    HUMAN_RESOURCES = "human_resources"
    MINOR_PROTECTION_OFFICE = "minor_protection_office"


AGENCY_TYPE_LABELS: dict[AgencyType, tuple[str, str]] = {
    AgencyType.POLICE: ("公安", "Police"),
    AgencyType.CIVIL_AFFAIRS: ("民政", "Civil affairs"),
    AgencyType.EDUCATION: ("教育", "Education"),
    AgencyType.HEALTH: ("卫健", "Health"),
    AgencyType.PROCURATORATE: ("检察院", "Procuratorate"),
    AgencyType.COURT: ("法院", "Court"),
    AgencyType.JUSTICE: ("司法局", "Justice bureau"),
    AgencyType.WOMEN_FEDERATION: ("妇联", "Women's federation"),
    AgencyType.YOUTH_LEAGUE: ("团委(12355)", "Youth League (12355)"),
    AgencyType.CYBERSPACE: ("网信办", "Cyberspace office"),
    AgencyType.CULTURE_TOURISM: ("文旅", "Culture and tourism"),
    AgencyType.MARKET_REGULATION: ("市场监管", "Market regulation"),
    AgencyType.HUMAN_RESOURCES: ("人社", "Human resources"),
    AgencyType.MINOR_PROTECTION_OFFICE: ("未保办", "Minor-protection office"),
}


class Channel(StrEnum):
    """How a report arrived."""

    WEB = "web"
    OPERATOR = "operator"
    PHONE_12345 = "phone_12345"
    PHONE_12355 = "phone_12355"
    WORKORDER_12345 = "workorder_12345"
    API = "api"


CHANNEL_LABELS: dict[Channel, tuple[str, str]] = {
    Channel.WEB: ("网上填报", "Web form"),
    Channel.OPERATOR: ("接线员录入", "Operator"),
    Channel.PHONE_12345: ("12345 来电", "12345 call"),
    Channel.PHONE_12355: ("12355 来电", "12355 call"),
    Channel.WORKORDER_12345: ("12345 工单", "12345 work order"),
    Channel.API: ("接口", "API"),
}


class ReporterRole(StrEnum):
    """Who filed the report; the first group are mandated reporters (Opinion, law art. 11)."""

    TEACHER = "teacher"
    PRINCIPAL = "principal"
    SCHOOL_DOCTOR = "school_doctor"
    TRAINER = "trainer"
    CHILDCARE_WORKER = "childcare_worker"
    DOCTOR = "doctor"
    NURSE = "nurse"
    EMERGENCY_CREW = "emergency_crew"
    COMMUNITY_WORKER = "community_worker"
    CHILD_DIRECTOR = "child_director"
    CHILD_SUPERVISOR = "child_supervisor"
    SOCIAL_WORKER = "social_worker"
    HOTEL_STAFF = "hotel_staff"
    PUBLIC_SERVANT = "public_servant"
    POLICE = "police"
    FAMILY = "family"
    NEIGHBOUR = "neighbour"
    CHILD_SELF = "child_self"
    PUBLIC = "public"
    OTHER = "other"


REPORTER_ROLE_LABELS: dict[ReporterRole, tuple[str, str]] = {
    ReporterRole.TEACHER: ("教师/班主任", "Teacher / head teacher"),
    ReporterRole.PRINCIPAL: ("校长/园长", "Principal"),
    ReporterRole.SCHOOL_DOCTOR: ("校医", "School doctor"),
    ReporterRole.TRAINER: ("培训机构教师", "Trainer"),
    ReporterRole.CHILDCARE_WORKER: ("托育机构人员", "Childcare worker"),
    ReporterRole.DOCTOR: ("医生", "Doctor"),
    ReporterRole.NURSE: ("护士", "Nurse"),
    ReporterRole.EMERGENCY_CREW: ("120 急救人员", "Emergency (120) crew"),
    ReporterRole.COMMUNITY_WORKER: ("社区/村委工作人员", "Community / village worker"),
    ReporterRole.CHILD_DIRECTOR: ("儿童主任", "Child director"),
    ReporterRole.CHILD_SUPERVISOR: ("儿童督导员", "Child supervisor"),
    ReporterRole.SOCIAL_WORKER: ("社会工作者", "Social worker"),
    ReporterRole.HOTEL_STAFF: ("旅店宾馆工作人员", "Hotel staff"),
    ReporterRole.PUBLIC_SERVANT: ("国家机关工作人员", "Public servant"),
    ReporterRole.POLICE: ("公安民警", "Police officer"),
    ReporterRole.FAMILY: ("家庭成员", "Family member"),
    ReporterRole.NEIGHBOUR: ("邻居", "Neighbour"),
    ReporterRole.CHILD_SELF: ("儿童本人", "The child"),
    ReporterRole.PUBLIC: ("热心群众", "Member of the public"),
    ReporterRole.OTHER: ("其他", "Other"),
}


class AgeRange(StrEnum):
    """Age bands of the intake form, for when the exact age is not known."""

    A0_2 = "0-2"
    A3_5 = "3-5"
    A6_11 = "6-11"
    A12_13 = "12-13"
    A14_15 = "14-15"
    A16_17 = "16-17"
    UNKNOWN = "unknown"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


SEX_LABELS: dict[Sex, tuple[str, str]] = {
    Sex.FEMALE: ("女", "Female"),
    Sex.MALE: ("男", "Male"),
    Sex.UNKNOWN: ("不清楚", "Unknown"),
}


class LocationNow(StrEnum):
    HOME = "home"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    HOTEL = "hotel"
    STREET = "street"
    WITH_REPORTER = "with_reporter"
    UNKNOWN = "unknown"


LOCATION_LABELS: dict[LocationNow, tuple[str, str]] = {
    LocationNow.HOME: ("家中", "At home"),
    LocationNow.SCHOOL: ("学校/幼儿园", "At school"),
    LocationNow.HOSPITAL: ("医院", "In hospital"),
    LocationNow.HOTEL: ("旅店宾馆", "In a hotel"),
    LocationNow.STREET: ("街头/公共场所", "On the street"),
    LocationNow.WITH_REPORTER: ("与报告人在一起", "With the reporter"),
    LocationNow.UNKNOWN: ("不清楚", "Unknown"),
}


class Answer(StrEnum):
    """A screening answer; "unknown" is always allowed (TRIAGE_POLICY §3)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


ANSWER_LABELS: dict[Answer, tuple[str, str]] = {
    Answer.YES: ("是", "Yes"),
    Answer.NO: ("否", "No"),
    Answer.UNKNOWN: ("不清楚", "Don't know"),
}


class Observation(StrEnum):
    """What the reporter observed (screening question 6): one or more per MR situation."""

    GENITAL_INJURY = "genital_injury"
    SEXUAL_ASSAULT = "sexual_assault"
    PREGNANCY = "pregnancy"
    ABORTION_OR_MISCARRIAGE = "abortion_or_miscarriage"
    MULTIPLE_INJURIES = "multiple_injuries"
    SEVERE_MALNUTRITION = "severe_malnutrition"
    UNCONSCIOUS = "unconscious"
    DRUGGED = "drugged"
    SUICIDE_OR_SELF_HARM = "suicide_or_self_harm"
    WORK_INJURY = "work_injury"
    POISONING = "poisoning"
    DEATH = "death"
    ABANDONED = "abandoned"
    LEFT_WITHOUT_CARE = "left_without_care"
    MISSING = "missing"
    UNKNOWN_ORIGIN = "unknown_origin"
    TRAFFICKED = "trafficked"
    ORGANIZED_BEGGING = "organized_begging"
    BULLYING = "bullying"
    ONLINE_HARM = "online_harm"
    CHILD_LABOUR = "child_labour"
    EARLY_MARRIAGE = "early_marriage"
    GUARDIANSHIP_GAP = "guardianship_gap"
    HARDSHIP = "hardship"
    OTHER = "other"


OBSERVATION_LABELS: dict[Observation, tuple[str, str]] = {
    Observation.GENITAL_INJURY: ("生殖器或隐私部位有异常损伤", "Injury to genitals or private parts"),
    Observation.SEXUAL_ASSAULT: ("遭受或疑似遭受性侵害", "Sexual assault (suspected)"),
    Observation.PREGNANCY: ("怀孕", "Pregnancy"),
    Observation.ABORTION_OR_MISCARRIAGE: ("流产/引产", "Abortion or miscarriage"),
    Observation.MULTIPLE_INJURIES: ("身体多处损伤", "Multiple injuries"),
    Observation.SEVERE_MALNUTRITION: ("严重营养不良", "Severe malnutrition"),
    Observation.UNCONSCIOUS: ("意识不清", "Impaired consciousness"),
    Observation.DRUGGED: ("疑似被麻醉/下药", "Drugged (suspected)"),
    Observation.SUICIDE_OR_SELF_HARM: ("自杀或自残", "Suicide attempt or self-harm"),
    Observation.WORK_INJURY: ("工伤", "Work injury"),
    Observation.POISONING: ("中毒", "Poisoning"),
    Observation.DEATH: ("死亡", "Death"),
    Observation.ABANDONED: ("被遗弃", "Abandoned"),
    Observation.LEFT_WITHOUT_CARE: ("长期无人照料", "Left without care"),
    Observation.MISSING: ("失踪", "Missing"),
    Observation.UNKNOWN_ORIGIN: ("来源不明", "Of unknown origin"),
    Observation.TRAFFICKED: ("被拐卖/收买", "Trafficked or bought"),
    Observation.ORGANIZED_BEGGING: ("被组织乞讨", "Organized into begging"),
    Observation.BULLYING: ("校园欺凌", "Bullying"),
    Observation.ONLINE_HARM: ("网络侵害", "Online harm"),
    Observation.CHILD_LABOUR: ("童工", "Child labour"),
    Observation.EARLY_MARRIAGE: ("早婚", "Early marriage"),
    Observation.GUARDIANSHIP_GAP: ("监护缺失/不当", "No proper guardian"),
    Observation.HARDSHIP: ("生活困难", "Hardship"),
    Observation.OTHER: ("其他", "Other"),
}


class Relationship(StrEnum):
    """The alleged perpetrator's relationship to the child."""

    PARENT = "parent"
    STEP_PARENT = "step_parent"
    PARENT_PARTNER = "parent_partner"
    GRANDPARENT = "grandparent"
    RELATIVE = "relative"
    CAREGIVER = "caregiver"
    TEACHER = "teacher"
    SCHOOL_STAFF = "school_staff"
    OTHER_ADULT_KNOWN = "other_adult_known"
    PEER = "peer"
    ONLINE_CONTACT = "online_contact"
    STRANGER = "stranger"
    UNKNOWN = "unknown"


RELATIONSHIP_LABELS: dict[Relationship, tuple[str, str]] = {
    Relationship.PARENT: ("父母", "Parent"),
    Relationship.STEP_PARENT: ("继父母", "Step-parent"),
    Relationship.PARENT_PARTNER: ("父母的伴侣", "Parent's partner"),
    Relationship.GRANDPARENT: ("祖父母/外祖父母", "Grandparent"),
    Relationship.RELATIVE: ("其他亲属", "Relative"),
    Relationship.CAREGIVER: ("照料人", "Caregiver"),
    Relationship.TEACHER: ("教师", "Teacher"),
    Relationship.SCHOOL_STAFF: ("学校其他人员", "School staff"),
    Relationship.OTHER_ADULT_KNOWN: ("认识的其他成年人", "Other known adult"),
    Relationship.PEER: ("同龄人/同学", "Peer"),
    Relationship.ONLINE_CONTACT: ("网友", "Online contact"),
    Relationship.STRANGER: ("陌生人", "Stranger"),
    Relationship.UNKNOWN: ("不清楚", "Unknown"),
}


class UserRole(StrEnum):
    """Roles of staff accounts; reporters do not log in."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    AGENCY_STAFF = "agency_staff"
    ADMIN = "admin"


USER_ROLE_LABELS: dict[UserRole, tuple[str, str]] = {
    UserRole.OPERATOR: ("接线员", "Operator"),
    UserRole.SUPERVISOR: ("督导(未保办)", "Supervisor"),
    UserRole.AGENCY_STAFF: ("承办单位人员", "Agency staff"),
    UserRole.ADMIN: ("系统管理员", "Administrator"),
}


class ReportStatus(StrEnum):
    """States of a report's one state machine (see hotline.lifecycle)."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FEEDBACK_RECEIVED = "feedback_received"
    CLOSED = "closed"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


REPORT_STATUS_LABELS: dict[ReportStatus, tuple[str, str]] = {
    ReportStatus.RECEIVED: ("已受理", "Received"),
    ReportStatus.TRIAGED: ("已分级", "Triaged"),
    ReportStatus.DISPATCHED: ("已转办", "Dispatched"),
    ReportStatus.ACKNOWLEDGED: ("已签收", "Acknowledged"),
    ReportStatus.IN_PROGRESS: ("处置中", "In progress"),
    ReportStatus.FEEDBACK_RECEIVED: ("已反馈", "Feedback received"),
    ReportStatus.CLOSED: ("已办结", "Closed"),
    ReportStatus.MERGED: ("已并单", "Merged"),
    ReportStatus.WITHDRAWN: ("已撤回", "Withdrawn"),
    ReportStatus.REOPENED: ("已重新打开", "Reopened"),
}


class AssignmentRole(StrEnum):
    LEAD = "lead"
    ASSISTING = "assisting"


ASSIGNMENT_ROLE_LABELS: dict[AssignmentRole, tuple[str, str]] = {
    AssignmentRole.LEAD: ("主办", "Lead"),
    AssignmentRole.ASSISTING: ("协办", "Assisting"),
}


class AssignmentStatus(StrEnum):
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FEEDBACK_RECEIVED = "feedback_received"
    DECLINED = "declined"
    CANCELLED = "cancelled"


ASSIGNMENT_STATUS_LABELS: dict[AssignmentStatus, tuple[str, str]] = {
    AssignmentStatus.NOTIFIED: ("待签收", "Awaiting acknowledgement"),
    AssignmentStatus.ACKNOWLEDGED: ("已签收", "Acknowledged"),
    AssignmentStatus.IN_PROGRESS: ("处置中", "In progress"),
    AssignmentStatus.FEEDBACK_RECEIVED: ("已反馈", "Feedback received"),
    AssignmentStatus.DECLINED: ("已退回", "Declined"),
    AssignmentStatus.CANCELLED: ("已撤销", "Cancelled"),
}


# Escalation steps (``Escalation.step``): the sweeper's ladder, a failed delivery, and a supervisor's
# 督办 (``manual``; a repeated one is ``manual_2``, ``manual_3``…).
ESCALATION_STEP_LABELS: dict[str, tuple[str, str]] = {
    "ack_overdue": ("签收超时提醒", "Acknowledgement overdue"),
    "ack_overdue_twice": ("签收超时两倍,报未保办", "Twice overdue, office alerted"),
    "feedback_overdue": ("反馈超期", "Feedback overdue"),
    "delivery_failed": ("通知发送失败", "Delivery failed"),
    "manual": ("人工督办", "Supervisor's notice"),
}


class NotificationChannel(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class NotificationStatus(StrEnum):
    """Outbox row states; a job claims ``pending`` → ``sending`` before it sends."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNKNOWN = "unknown"
    FAILED = "failed"


NOTIFICATION_STATUS_LABELS: dict[NotificationStatus, tuple[str, str]] = {
    NotificationStatus.PENDING: ("待发送", "Pending"),
    NotificationStatus.SENDING: ("发送中", "Sending"),
    NotificationStatus.SENT: ("已发送", "Sent"),
    NotificationStatus.DELIVERED: ("已送达", "Delivered"),
    NotificationStatus.UNKNOWN: ("状态待核实", "Unknown, reconciling"),
    NotificationStatus.FAILED: ("发送失败", "Failed"),
}


def label(labels: dict, code: str, language: str = "zh") -> str:
    """The label of ``code`` in ``language`` ("zh" or "en"); the code itself if unknown."""
    for key, (zh, en) in labels.items():
        if key == code:
            return en if language.startswith("en") else zh
    return code
