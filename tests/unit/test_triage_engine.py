"""The triage engine: rules of TRIAGE_POLICY §2/§4/§8 on tables of invented reports, and the
evaluation targets on the shared dev set."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from hotline.taxonomy import AgencyType, Category, MandatoryReport, Urgency
from intake_forms.schema import parse_intake
from triage.engine import Reason, TriageResult, classify
from triage.policy import default_policy_document, load_policy

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def run(narrative: str, **fields: Any) -> TriageResult:
    return classify(parse_intake({"narrative": narrative, **fields}))


def web(age: int | None, sex: str, observed: list[str], relationship: str = "unknown", **screening: str) -> dict:
    answers = {
        "immediate_danger": "no",
        "perpetrator_access_24h": "no",
        "needs_medical_care_now": "no",
        "missing": "no",
        "self_harm_risk": "no",
        **screening,
        "observed": observed,
    }
    child: dict[str, Any] = {"sex": sex}
    if age is not None:
        child["age"] = age
    return {
        "channel": "web",
        "child": child,
        "screening": answers,
        "alleged_perpetrator": {"relationship": relationship},
    }


def values(items: tuple) -> set[str]:
    return {item.value for item in items}


# (narrative, urgency, categories (primary first), MR codes)
NARRATIVES = [
    # physical abuse: household abuser with access → red; separated → orange; happening now → red, MR9
    (
        "邻居反映,隔壁的继母经常用衣架抽打8岁的男孩,孩子胳膊和腿上都是伤,今天早上又听到孩子哭喊。",
        "red",
        ["physical_abuse"],
        ["MR4"],
    ),
    (
        "我是班主任,发现10岁女生小敏手臂上有一块淤青,她说是妈妈打的。她现在暂住在姥姥家,妈妈出差一个月。",
        "orange",
        ["physical_abuse"],
        ["MR9"],
    ),
    (
        "8岁男童被父亲用烟头烫伤,手臂和背部都有烫伤痕迹,父亲已被派出所带走。",
        "orange",
        ["physical_abuse"],
        ["MR4"],
    ),
    ("鄰居家的繼父經常毆打10歲女孩,孩子身上多處瘀傷,今晚孩子又要回家。", "red", ["physical_abuse"], ["MR4"]),
    (
        "A neighbour says a 5-year-old girl is being hit by her father right now, she is screaming.",
        "red",
        ["physical_abuse"],
        ["MR9"],
    ),
    (
        "Our 4-year-old pupil has several burns on his hands and arms that look like cigarette burns. "
        "Mum says he "
        "fell. He goes home with mum at 5pm.",
        "red",
        ["physical_abuse"],
        ["MR4"],
    ),
    # sexual abuse: age and sex edges
    ("来电人称,女儿12岁,被补习班老师多次猥亵,老师已被公安刑拘。", "orange", ["sexual_abuse"], ["MR2"]),
    ("女儿今年17岁,被网友约到宾馆后强奸,目前在家,对方已被抓。", "orange", ["sexual_abuse"], ["MR9"]),
    ("一名13岁女孩在诊所做人流,她说孩子是同村一个大叔的。", "orange", ["sexual_abuse"], ["MR2"]),
    ("老師懷疑8歲女童被家中親戚性侵,孩子說下體很痛。", "orange", ["sexual_abuse"], ["MR1", "MR2"]),
    ("一名14歲少女懷孕了,她說是被繼父強姦的,繼父現在仍與她同住。", "red", ["sexual_abuse"], ["MR3"]),
    ("10岁女孩说邻居爷爷经常摸她的胸部,还给她零花钱,让她不要告诉别人。", "orange", ["sexual_abuse"], ["MR2"]),
    (
        "A 6-year-old told her teacher that her uncle touches her private parts when he babysits. "
        "He is babysitting her again this evening.",
        "red",
        ["sexual_abuse"],
        ["MR2"],
    ),
    (
        "A 16-year-old girl says a coach raped her after training last month. She has not seen him since; no "
        "pregnancy.",
        "orange",
        ["sexual_abuse"],
        ["MR9"],
    ),
    (
        "A 15-year-old girl told her teacher she is pregnant; she says her boyfriend is 16 and it was consensual.",
        "yellow",
        ["early_marriage"],
        [],
    ),
    ("有个男人在小学门口给女学生看黄色视频。", "orange", ["sexual_abuse"], ["MR2"]),
    # missing, trafficking, begging, abandonment
    (
        "孩子今天早上出门上学后一直没有到校,家长和老师到处找都找不到,孩子8岁。",
        "red",
        ["missing_trafficking"],
        ["MR7"],
    ),
    (
        "My 14-year-old son has not come home since yesterday and his phone is off.",
        "red",
        ["missing_trafficking"],
        ["MR7"],
    ),
    ("孩子上周被同村一名男子强行带走后下落不明。", "red", ["missing_trafficking"], ["MR7"]),
    ("火车站有几个小孩在乞讨,旁边有大人看着收钱。", "red", ["organized_begging"], ["MR8"]),
    (
        "Two children, about 6 and 8, are begging at the subway entrance right now while a man collects the money.",
        "red",
        ["organized_begging"],
        ["MR8"],
    ),
    (
        "一个3岁的孩子被父母锁在家里,父母出去打麻将,现在孩子一个人在家大哭。",
        "red",
        ["abandonment_neglect"],
        ["MR6"],
    ),
    (
        "鄰居家5歲孩子經常一個人在家,父母晚上去打工,今晚又只有孩子一個人。",
        "red",
        ["abandonment_neglect"],
        ["MR6"],
    ),
    (
        "桥洞下有个婴儿被人丢弃,用被子包着,现场已报警,孩子被送到医院。",
        "orange",
        ["abandonment_neglect"],
        ["MR6"],
    ),
    # self-harm: ideation orange, harm occurred MR5, now red
    ("孩子13岁,最近总说活着没意思,在网上搜自杀的方法,家长发现后很担心。", "orange", ["self_harm_risk"], []),
    ("初二学生小刚昨晚吞了一瓶安眠药,现在在医院洗胃,已脱离危险。", "orange", ["self_harm_risk"], ["MR5"]),
    ("孩子在家里把自己锁在卫生间,说要割腕,手里拿着刀片。", "red", ["self_harm_risk"], []),
    ("15歲男生說想自殺,已經寫好遺書,現在一個人在天台上。", "red", ["self_harm_risk"], []),
    (
        "Student (13) said she wants to kill herself tonight and has pills in her bag.",
        "red",
        ["self_harm_risk"],
        [],
    ),
    # serious injury
    ("孩子從樓上摔下來,昏迷不醒,正在搶救,家人說是自己不小心。", "red", ["serious_injury_or_death"], ["MR5"]),
    # bullying, online harm, labour, early marriage, guardianship
    ("班里几个同学长期给他起外号,他不愿意上学,身上没有伤。", "yellow", ["bullying"], []),
    ("學生在學校被同學圍毆,頭部和手臂多處受傷,已送醫。", "orange", ["bullying"], ["MR4"]),
    ("有人在网上冒充我女儿发帖骂同学,还把她的照片P图发到群里。", "yellow", ["online_harm"], []),
    ("网友让我14岁的儿子拍裸照发过去,现在用照片威胁他要钱。", "orange", ["online_harm"], ["MR9"]),
    ("某饭店雇用了两名14岁的孩子当服务员,每天工作十个小时。", "yellow", ["child_labour"], []),
    (
        "A boy of about 10 works every night in a barbecue restaurant until 2 am.",
        "yellow",
        ["child_labour"],
        [],
    ),
    ("家里给15岁的女儿定了娃娃亲,准备年底办酒席。", "yellow", ["early_marriage"], []),
    (
        "奶奶80多岁,身体不好,无力照顾两个孙子,父亲在服刑,母亲改嫁后不管孩子。",
        "yellow",
        ["guardianship_gap"],
        [],
    ),
    (
        "女儿14岁,在KTV做陪酒,老板不让她回家,现在还在店里。",
        "red",
        ["other_serious_harm", "venue_violation"],
        ["MR9"],
    ),
    # blue categories
    ("学校附近的网吧让未成年人进去上网,还提供包夜。", "blue", ["venue_violation"], []),
    ("小区超市把酒卖给中学生。", "blue", ["venue_violation"], []),
    ("孩子父母离异,母亲想问怎样申请变更抚养权,有没有法律援助。", "blue", ["legal_aid"], []),
    ("孩子上初三,压力很大,晚上失眠,想找心理老师聊聊。", "blue", ["counselling"], []),
    ("孩子沒有受傷,也沒有被打,只是想了解心理輔導資源。", "blue", ["counselling"], []),
    (
        "Mother asks how to get counselling for her son who is sad after moving house. He has no thoughts of "
        "self-harm.",
        "blue",
        ["counselling"],
        [],
    ),
    ("请问强制报告制度适用于哪些人员?", "blue", ["inquiry"], []),
    ("家里困难,父亲瘫痪在床,孩子的学费交不上,想申请救助。", "blue", ["hardship"], []),
    ("孩子沒有被打,家裡只是經濟困難,希望申請補助。", "blue", ["hardship"], []),
    ("孩子12岁,学校以他有多动症为由拒绝他入学。", "blue", ["education_rights"], []),
    # undecidable
    ("有个孩子情况不好,请你们关注。", "yellow", [], []),
    (
        "Someone asked us to check on a child in their building but would not say anything more.",
        "yellow",
        [],
        [],
    ),
]


@pytest.mark.parametrize(("narrative", "urgency", "categories", "codes"), NARRATIVES)
def test_narratives(narrative: str, urgency: str, categories: list[str], codes: list[str]) -> None:
    result = run(narrative)
    assert result.urgency.value == urgency
    assert [c.value for c in result.categories] == categories
    assert [c.value for c in result.mandatory_report_codes] == codes


# -- age and sex edges (§8) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sex", "narrative", "observed", "codes", "categories"),
    [
        (13, "female", "检查发现怀孕约10周,她说是自愿的。", ["pregnancy"], ["MR2"], ["sexual_abuse"]),
        (14, "female", "检查发现怀孕约10周,她说是自愿的,否认被强迫。", ["pregnancy"], [], ["early_marriage"]),
        (14, "female", "她说被人强奸后怀孕。", ["pregnancy", "sexual_assault"], ["MR3"], ["sexual_abuse"]),
        (16, "female", "要求终止妊娠,自述被强行发生关系。", [], ["MR3"], ["sexual_abuse"]),
        (13, "female", "孩子说被邻居摸了隐私部位。", ["sexual_assault"], ["MR2"], ["sexual_abuse"]),
        (14, "female", "孩子说被邻居摸了隐私部位。", ["sexual_assault"], ["MR9"], ["sexual_abuse"]),
        (
            10,
            "male",
            "孩子说被邻居摸了隐私部位,查体未见外伤。",
            ["sexual_assault"],
            ["MR9"],
            ["sexual_abuse"],
        ),
        (10, "male", "肛周撕裂伤,孩子说是邻居弄的。", [], ["MR1"], ["sexual_abuse"]),
        (9, "female", "下体红肿出血,孩子说是邻居弄的。", [], ["MR1", "MR2"], ["sexual_abuse"]),
    ],
)
def test_age_edges(
    age: int, sex: str, narrative: str, observed: list[str], codes: list[str], categories: list[str]
) -> None:
    result = run(narrative, **web(age, sex, observed, "other_adult_known"))
    assert [c.value for c in result.mandatory_report_codes] == codes
    assert [c.value for c in result.categories] == categories
    if codes:
        assert result.urgency.rank >= Urgency.ORANGE.rank
        assert AgencyType.POLICE in {result.lead_agency_type, *result.assisting_agency_types}


def test_pregnancy_under_14_reason_quotes_age_and_words() -> None:
    result = run("患者13岁,检查发现怀孕约10周。", **web(13, "female", []))
    assert Reason("MR2-under-14-pregnancy", "age=13; sex=female; narrative: '怀孕'") in result.reasons
    assert AgencyType.HEALTH in result.assisting_agency_types


# -- checkboxes against the narrative (§8) --------------------------------------------------------


def test_narrative_outranks_checkbox_that_says_no_danger() -> None:
    result = run(
        "孩子两只手臂都有淤青,邻居说昨晚继父打了他。继父现在就在家里,孩子和他在一起。",
        **web(7, "male", ["multiple_injuries"], "step_parent"),
    )
    assert result.urgency is Urgency.RED
    rules = [r.rule for r in result.reasons]
    assert "narrative-outranks-checkbox" in rules
    assert "red-perpetrator-access-24h" in rules


def test_checkbox_danger_yes_is_red_even_with_a_mild_narrative() -> None:
    result = run("孩子被同学起外号。", **web(10, "male", ["bullying"], "peer", immediate_danger="yes"))
    assert result.urgency is Urgency.RED


def test_checkbox_access_yes_for_an_adult_is_red() -> None:
    result = run(
        "孩子身上多处淤青,说是爸爸打的。",
        **web(9, "male", ["multiple_injuries"], "parent", perpetrator_access_24h="yes"),
    )
    assert result.urgency is Urgency.RED


def test_access_rule_does_not_apply_to_peers() -> None:
    result = run("被同学推搡,没有受伤。", **web(12, "male", ["bullying"], "peer", perpetrator_access_24h="yes"))
    assert result.urgency is Urgency.YELLOW


def test_checkbox_only_report() -> None:
    result = run("详见勾选项。", **web(None, "female", ["missing"], missing="yes"))
    assert result.categories == (Category.MISSING_TRAFFICKING,)
    assert result.urgency is Urgency.RED


# -- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("narrative", "lead", "assisting"),
    [
        (
            "来电女生15岁,现在正在楼顶天台,说不想活了,准备跳下去。",
            "health",
            {"police", "youth_league", "education"},
        ),
        (
            "男老师上课时多次摸8岁女孩的隐私部位,今天下午还有这个老师的课。",
            "police",
            {"procuratorate", "civil_affairs", "education"},
        ),
        ("15岁男孩在作坊上班,手指被冲床压断,已截指。", "human_resources", {"police"}),
        ("孩子被同学打了一拳,鼻子流血。", "education", {"police"}),
        ("便利店把香烟卖给小学生。", "market_regulation", {"police"}),
        ("网吧接纳未成年人上网。", "culture_tourism", {"police"}),
        ("有个孩子情况不好。", "minor_protection_office", set()),
    ],
)
def test_routing(narrative: str, lead: str, assisting: set[str]) -> None:
    result = run(narrative)
    assert result.lead_agency_type.value == lead
    assert assisting <= values(result.assisting_agency_types)
    assert result.lead_agency_type not in result.assisting_agency_types


def test_secondary_category_lead_assists() -> None:
    result = run("該生14歲,初二,開學後一直沒有返校,在餐館打工,洗碗、端盤子。")
    assert result.categories == (Category.CHILD_LABOUR, Category.EDUCATION_RIGHTS)
    assert result.lead_agency_type is AgencyType.HUMAN_RESOURCES
    assert AgencyType.EDUCATION in result.assisting_agency_types


def test_any_mandatory_report_reaches_the_police() -> None:
    for narrative, *_ in NARRATIVES:
        result = run(narrative)
        if result.mandatory_report_codes:
            assert AgencyType.POLICE in {result.lead_agency_type, *result.assisting_agency_types}, narrative
            assert result.urgency.rank >= Urgency.ORANGE.rank, narrative


def test_undecidable_goes_to_minor_protection_office() -> None:
    result = run("对面楼有个小孩情况好像不太对劲,来电人说不清楚。")
    assert result.categories == ()
    assert result.lead_agency_type is AgencyType.MINOR_PROTECTION_OFFICE
    assert result.urgency is Urgency.YELLOW
    assert result.mandatory_report_codes == ()


# -- the result object -----------------------------------------------------------------------------


def test_to_json_matches_the_schema() -> None:
    result = run("孩子今天下午在小区门口走失了,6岁。")
    data = result.to_json("dev-x")
    assert data == {
        "id": "dev-x",
        "urgency": "red",
        "categories": ["missing_trafficking"],
        "mandatory_report_codes": ["MR7"],
        "lead_agency_type": "police",
        "assisting_agency_types": ["civil_affairs"],
        "reasons": [{"rule": r.rule, "evidence": r.evidence} for r in result.reasons],
        "policy_version": result.policy_version,
    }
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_every_decision_is_explained() -> None:
    for narrative, *_ in NARRATIVES:
        result = run(narrative)
        rules = {r.rule for r in result.reasons}
        for category in result.categories:
            assert f"category-{category.value}" in rules
        for code in result.mandatory_report_codes:
            assert any(rule.startswith(code.value) for rule in rules), (narrative, code)
        assert all(r.evidence for r in result.reasons)


def test_negated_words_are_listed() -> None:
    result = run("孩子没有受伤,只是想咨询心理辅导。")
    assert any(r.rule == "discounted-injury" and "没有" in r.evidence for r in result.reasons)


def test_pure_and_repeatable() -> None:
    intake = parse_intake({"narrative": "孩子被继父打了,身上多处淤青。"})
    snapshot = copy.deepcopy(intake)
    assert classify(intake) == classify(intake)
    assert intake == snapshot


def test_policy_is_a_parameter() -> None:
    document = default_policy_document()
    for entry in document["catalogue"]["entries"]:
        if entry["category"] == "bullying":
            entry["default_level"] = "orange"
    policy = load_policy(document)
    result = classify(parse_intake({"narrative": "班里同学给他起外号。"}), policy)
    assert result.urgency is Urgency.ORANGE
    assert result.policy_version == policy.version


def test_mandatory_codes_are_sorted() -> None:
    result = run("患儿6岁,抢救无效死亡,全身多处新旧不一的淤伤,与父亲所述不符。")
    codes = list(result.mandatory_report_codes)
    assert codes == sorted(codes, key=lambda c: int(c[2:]))
    assert {MandatoryReport.MR4, MandatoryReport.MR5} <= set(result.mandatory_report_codes)


# -- the shared evaluation ----------------------------------------------------------------------


def test_dev_set_meets_the_targets() -> None:
    eval_dir = SHARED / "eval"
    assert eval_dir.is_dir(), f"shared evaluation files not found at {eval_dir}"
    spec = importlib.util.spec_from_file_location("triage_eval_score", eval_dir / "score.py")
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    expected = scorer.load(str(eval_dir / "triage_dev_expected.jsonl"))
    predicted = {}
    with (eval_dir / "triage_dev_inputs.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            intake = parse_intake(json.loads(line))
            predicted[intake.id] = classify(intake).to_json(intake.id)
    score = scorer.score(expected, predicted)
    assert score["errors"] == 0 and score["missing"] == 0
    assert score["critical_under_triage"] == 0, score["critical_under_ids"]
    assert score["red_recall"] >= 0.95
    assert score["urgency_accuracy"] >= 0.90
    assert score["over_triage_rate"] <= 0.10
    assert score["lead_agency_accuracy"] >= 0.95
    assert score["mr_f1"] >= 0.90
