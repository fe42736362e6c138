"""Narrative analysis: normalisation, negation, hedging, hypotheticals, harmless triggers, ages,
sex, subjects, in simplified Chinese, traditional Chinese and English."""

from __future__ import annotations

import pytest

from triage.policy import default_policy
from triage.text import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return default_policy().lexicon.matcher


def test_normalisation_keeps_offsets_and_simplifies(matcher: Matcher) -> None:
    text = "來電人反映:孩子ＫＴＶ裡被打,Ｈｅ Is HURT。"
    norm = matcher.normalize(text)
    assert len(norm) == len(text)
    assert norm == "来电人反映:孩子ktv里被打,he is hurt。"


def test_evidence_quotes_the_original_traditional_text(matcher: Matcher) -> None:
    analysis = matcher.analyze("其侄女15歲,現已懷孕約3個月。")
    assert analysis.first("pregnancy").quote == "懷孕"


@pytest.mark.parametrize(
    ("text", "signal", "present"),
    [
        # negation: the cue before the term in the same clause cancels it
        ("孩子没有受伤,身上未见伤痕。", "injury", False),
        ("查体未见外伤。", "injury", False),
        ("孩子沒有受傷。", "injury", False),
        ("He has no injuries.", "injury", False),
        ("Nobody was hurt, there were no injuries.", "injury", False),
        ("询问时否认有自伤或轻生的想法。", "suicide_ideation", False),
        ("She said she has no thoughts of hurting herself or ending her life.", "suicide_ideation", False),
        ("孩子说爸爸没有打他。", "beating", False),
        ("目前未发现怀孕。", "pregnancy", False),
        # the negation does not reach into the next clause
        ("孩子没有哭,腿上有淤青。", "injury", True),
        ("He has not been to school, and he has bruises on his legs.", "injury", True),
        # hedged suspicion counts
        ("怀疑被打。", "beating", True),
        ("疑似遭受性侵。", "sexual_act", True),
        ("我们怀疑孩子可能被性侵。", "sexual_act", True),
        ("He may have been beaten by his father.", "beating", True),
        # double negation is a hedge, not a negation
        ("不能排除性侵。", "sexual_act", True),
        # hypotheticals do not describe a case
        ("如果发现学生被性侵,应当向哪个部门报告?", "sexual_act", False),
        # harmless uses of trigger characters
        ("打电话问了亲戚。", "beating", False),
        ("帮奶奶打扫卫生。", "beating", False),
        ("最近很伤心。", "injury", False),
        ("性格比较内向。", "sexual_act", False),
        ("最近常常懷念奶奶。", "pregnancy", False),
        ("询问防溺水课程。", "accident", False),
        ("孩子的父亲去年因病去世。", "death", False),
        ("放学后打游戏。", "beating", False),
        ("未成年人被打。", "beating", True),
        # English word boundaries: "notice" does not contain the cue "not"
        ("I noticed bruises on his arm.", "injury", True),
        ("The hero is there.", "person_child", False),
    ],
)
def test_signal_table(matcher: Matcher, text: str, signal: str, present: bool) -> None:
    assert matcher.analyze(text).has(signal) is present


def test_negated_match_is_kept_for_the_operator(matcher: Matcher) -> None:
    analysis = matcher.analyze("孩子没有受伤。")
    blocked = analysis.blocked["injury"][0]
    assert blocked.quote == "受伤"
    assert blocked.blocked_by == "没有"


def test_hedge_is_recorded(matcher: Matcher) -> None:
    hit = matcher.analyze("怀疑孩子被打。").first("beating")
    assert hit is not None and hit.hedge == "怀疑"


@pytest.mark.parametrize(
    ("text", "signal", "present"),
    [
        ("母亲离家出走后一直联系不上。", "missing", False),
        ("孩子就不见了。", "missing", True),
        ("孩子上周被同村一名男子强行带走后下落不明。", "missing", True),
        ("父母在广东打工。", "labour_work", False),
        ("他在县城一家餐馆打工。", "labour_work", True),
        ("邻居夫妻结婚多年没有孩子。", "early_marriage", False),
        ("Her mother left home last year.", "missing", False),
        ("Her parents told me she ran away after an argument.", "missing", True),
    ],
)
def test_subject_of_adult_is_not_the_child(matcher: Matcher, text: str, signal: str, present: bool) -> None:
    assert matcher.analyze(text).has(signal) is present


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("患者13岁,因腹痛就诊。", 13, 13),
        ("女孩十三岁。", 13, 13),
        ("孩子两岁半。", 2, 2),
        ("两个小孩,看起来五六岁。", 5, 6),
        ("患兒18個月,因骨折入院。", 1, 1),
        ("A 16-year-old student.", 16, 16),
        ("a girl aged 15", 15, 15),
        ("男方19岁,女孩15岁。", 15, 15),
        ("一名40岁左右男子带一名13岁女孩入住。", 13, 13),
        ("该生初一,不想上学。", 12, 13),
        ("幼女被侵害。", 0, 13),
        ("怀孕约3个月,患者14周岁。", 14, 14),
    ],
)
def test_age_extraction(matcher: Matcher, text: str, low: int, high: int) -> None:
    age = matcher.analyze(text).age
    assert age is not None and (age.low, age.high) == (low, high)


def test_no_age_when_none_is_given(matcher: Matcher) -> None:
    assert matcher.analyze("有个孩子情况不对劲。").age is None


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("来电人称其外孙女9岁。", "female"),
        ("來電人反映:其侄女15歲。", "female"),
        ("來電男生15歲。", "male"),
        ("Caller, the mother of a 10-year-old boy.", "male"),
        ("孩子说她很害怕,她不想回家。", "female"),
        ("有个孩子情况不对劲。", None),
    ],
)
def test_sex(matcher: Matcher, text: str, sex: str | None) -> None:
    assert matcher.analyze(text).sex == sex


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("外阴红肿,有一处小的破损。", "genital_injury"),
        ("后背、双臂和大腿有多处条状淤青。", "multiple_injuries"),
        ("左脸颊和两只手臂都有淤青。", "multiple_injuries"),
        ("楼上现在正在打孩子。", "harm_now"),
        ("今晚她又要一个人在家。", "alone_now"),
        ("孩子现在还锁在屋里。", "confined_now"),
        ("现在正在楼顶天台,说不想活了。", "suicide_now"),
        ("步行街现在有两个小孩跪在地上乞讨。", "begging_now"),
        ("男子尾随孩子。孩子今晚要一个人走回家。", "threat_soon"),
        ("The girl is being hit by her father right now.", "harm_now"),
        ("摸她「尿尿的地方」", "sexual_act"),
    ],
)
def test_combined_signals(matcher: Matcher, text: str, signal: str) -> None:
    assert matcher.analyze(text).has(signal)


def test_agent_of_an_act(matcher: Matcher) -> None:
    analysis = matcher.analyze("孩子说是爸爸用皮带抽的。")
    hit = analysis.first("beating")
    agent = analysis.agent(hit)
    assert agent is not None and agent.word == "爸爸"
    english = matcher.analyze("A 5-year-old girl is being hit by her father.")
    agent = english.agent(english.first("beating"))
    assert agent is not None and agent.word == "father"
