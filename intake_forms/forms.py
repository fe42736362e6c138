"""The public reporter form (Flask-WTF): fields, labels in the current language, and the mapping
to an INTAKE_SCHEMA object. Validation of values is ``parse_intake``'s job, so the form, the API
and the batch command accept and reject exactly the same things; its errors are put back on the
fields they name.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hotline.taxonomy import (
    ANSWER_LABELS,
    LOCATION_LABELS,
    OBSERVATION_LABELS,
    RELATIONSHIP_LABELS,
    REPORTER_ROLE_LABELS,
    SEX_LABELS,
    AgeRange,
    Answer,
)
from intake_forms.schema import IntakeData, IntakeError, parse_intake

SCREENING_QUESTIONS = (
    ("immediate_danger", _l("孩子现在是否处于危险之中?")),
    ("perpetrator_access_24h", _l("伤害孩子的人在未来 24 小时内是否还能接触到孩子?")),
    ("needs_medical_care_now", _l("孩子现在是否需要就医?")),
    ("missing", _l("孩子是否失踪或下落不明?")),
    ("self_harm_risk", _l("孩子是否谈到或尝试过自杀、自伤?")),
)


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _choices(labels: dict, blank: bool = False) -> list[tuple[str, str]]:
    index = 1 if _language() == "en" else 0
    options = [(str(code), names[index]) for code, names in labels.items()]
    return ([("", "—")] + options) if blank else options


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ReportForm(FlaskForm):
    """What a mandated reporter fills in (TRIAGE_POLICY §3 screening questions included)."""

    immediate_danger = RadioField(SCREENING_QUESTIONS[0][1], default=Answer.UNKNOWN)
    perpetrator_access_24h = RadioField(SCREENING_QUESTIONS[1][1], default=Answer.UNKNOWN)
    needs_medical_care_now = RadioField(SCREENING_QUESTIONS[2][1], default=Answer.UNKNOWN)
    missing = RadioField(SCREENING_QUESTIONS[3][1], default=Answer.UNKNOWN)
    self_harm_risk = RadioField(SCREENING_QUESTIONS[4][1], default=Answer.UNKNOWN)
    observed = MultiCheckboxField(_l("您观察到的情况(可多选)"), validate_choice=False)

    narrative = TextAreaField(
        _l("发生了什么?(时间、地点、经过)"),
        validators=[DataRequired(_l("请描述发生了什么")), Length(max=20000)],
    )

    child_name = StringField(_l("儿童姓名或称呼"), validators=[Optional(), Length(max=100)])
    child_age = IntegerField(
        _l("年龄(周岁)"), validators=[Optional(), NumberRange(0, 17, _l("未成年人年龄应在 0 到 17 岁之间"))]
    )
    child_age_range = SelectField(_l("不清楚确切年龄时,年龄段"), validate_choice=False)
    child_sex = SelectField(_l("性别"), validate_choice=False)
    child_school = StringField(_l("就读学校或所在机构"), validators=[Optional(), Length(max=200)])
    child_location_now = SelectField(_l("孩子现在在哪里"), validate_choice=False)
    perpetrator_relationship = SelectField(_l("疑似侵害人与孩子的关系"), validate_choice=False)

    jurisdiction_code = StringField(_l("所在地行政区划代码(选填)"), validators=[Optional(), Length(max=12)])
    address = StringField(_l("孩子所在地址或地区"), validators=[Optional(), Length(max=200)])

    reporter_role = SelectField(_l("您的身份"), validate_choice=False)
    reporter_institution = StringField(_l("您的工作单位"), validators=[Optional(), Length(max=200)])
    reporter_name = StringField(_l("您的姓名"), validators=[Optional(), Length(max=100)])
    reporter_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    reporter_anonymous = BooleanField(_l("我希望匿名(不向承办单位透露我的身份)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answers = _choices(ANSWER_LABELS)
        for name, _label in SCREENING_QUESTIONS:
            getattr(self, name).choices = answers
        self.observed.choices = _choices(OBSERVATION_LABELS)
        unknown = _l("不清楚")
        self.child_age_range.choices = [("", "—")] + [
            (str(r), str(unknown) if r == AgeRange.UNKNOWN else f"{r}") for r in AgeRange
        ]
        self.child_sex.choices = _choices(SEX_LABELS, blank=True)
        self.child_location_now.choices = _choices(LOCATION_LABELS, blank=True)
        self.perpetrator_relationship.choices = _choices(RELATIONSHIP_LABELS, blank=True)
        self.reporter_role.choices = _choices(REPORTER_ROLE_LABELS, blank=True)

    def to_intake_object(self, channel: str) -> dict[str, Any]:
        """The INTAKE_SCHEMA object this form describes (empty fields left out)."""

        def value(field_name: str) -> Any:
            data = getattr(self, field_name).data
            return None if data in ("", None) else data

        def section(**items: Any) -> dict[str, Any]:
            return {key: item for key, item in items.items() if item is not None}

        return {
            "channel": channel,
            "reporter": section(
                role=value("reporter_role"),
                institution=value("reporter_institution"),
                name=value("reporter_name"),
                phone=value("reporter_phone"),
                anonymous=bool(self.reporter_anonymous.data),
            ),
            "child": section(
                name=value("child_name"),
                age=value("child_age"),
                age_range=value("child_age_range"),
                sex=value("child_sex"),
                school_or_institution=value("child_school"),
                location_now=value("child_location_now"),
            ),
            "jurisdiction": section(code=value("jurisdiction_code"), address=value("address")),
            "screening": section(
                **{name: value(name) for name, _label in SCREENING_QUESTIONS},
                observed=list(self.observed.data or []),
            ),
            "alleged_perpetrator": section(relationship=value("perpetrator_relationship")),
            "narrative": self.narrative.data or "",
        }

    # Which form field shows an error about which INTAKE_SCHEMA path.
    FIELD_FOR_PATH = {
        "child.age": "child_age",
        "child.name": "child_name",
        "child.age_range": "child_age_range",
        "child.sex": "child_sex",
        "child.school_or_institution": "child_school",
        "child.location_now": "child_location_now",
        "jurisdiction.code": "jurisdiction_code",
        "jurisdiction.address": "address",
        "reporter.role": "reporter_role",
        "reporter.institution": "reporter_institution",
        "reporter.name": "reporter_name",
        "reporter.phone": "reporter_phone",
        "alleged_perpetrator.relationship": "perpetrator_relationship",
        "narrative": "narrative",
    }

    def to_intake(self, channel: str) -> IntakeData | None:
        """Parse the form into an ``IntakeData``, or put each error on its field and return None."""
        try:
            return parse_intake(self.to_intake_object(channel))
        except IntakeError as exc:
            for path, message in exc.errors.items():
                name = self.FIELD_FOR_PATH.get(path)
                if name is None:
                    head = path.split("[")[0].split(".")[-1]
                    name = head if hasattr(self, head) else "narrative"
                getattr(self, name).errors = [*getattr(self, name).errors, message]
            return None


class OperatorReportForm(ReportForm):
    """The operator's call intake form: the reporter's form, plus the call and draft it belongs to."""

    call_id = HiddenField()
    draft_id = HiddenField()

    def load(self, data: dict[str, Any]) -> None:
        """Refill the form from a saved draft (field name → value, as the browser posted it)."""
        for name, field in self._fields.items():
            if name in data and name != "csrf_token":
                field.process_data(data[name])

    def draft_data(self) -> dict[str, Any]:
        """What to keep in a draft: every field as typed, whether it validates or not."""
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token",)}
