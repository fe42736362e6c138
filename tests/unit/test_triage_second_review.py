"""General capabilities added after the second independent evaluation. Every sentence is written
for this file (zh-Hans, zh-Hant, en) to test a pattern, not copied from an evaluation set.

Patterns: harmless 打 (calls), 没人 meaning "nobody at home", 发生了关系 with 了, a pregnancy or
marriage never said of the man, missing without 失踪, drugging and deep sleep, adults luring
children, sexual exploitation of 16-17-year-olds, English sextortion / grooming meet-ups /
overdoses now, idioms (missing school, dead tired, dying to), companions who are not the abuser,
past self-harm with no current plan, colloquial 沒有啦, drunk teenagers.
"""

from __future__ import annotations

from typing import Any

import pytest

from intake_forms.schema import parse_intake
from triage.engine import TriageResult, classify

RED, ORANGE, YELLOW, BLUE = "red", "orange", "yellow", "blue"


def run(narrative: str, **fields: Any) -> TriageResult:
    return classify(parse_intake({"narrative": narrative, **fields}))


def explain(result: TriageResult) -> str:
    return "\n".join(f"{r.rule} | {r.evidence}" for r in result.reasons)


# (narrative, allowed urgencies, categories required (first = primary), MR codes required, categories forbidden)
CASES = [
    # harmless 打: a phone call never replaces the abuse it reports
    (
        "女孩15岁，躲在楼道里用同学手机打的电话，说继父昨晚又强迫她发生了关系。",
        {RED, ORANGE},
        ["sexual_abuse"],
        ["MR9"],
        ["bullying", "physical_abuse"],
    ),
    ("孩子14岁，说自己偷偷打过110，但没人来，只是想找人聊聊心里的烦恼。", {BLUE, YELLOW}, [], [], ["physical_abuse"]),
    (
        "The boy, 13, whispered that he is using a borrowed phone to call us and just wants advice.",
        {BLUE, YELLOW},
        [],
        [],
        ["physical_abuse"],
    ),
    # 没人 = nobody at home; it does not negate the act after it
    ("女孩12岁，邻居叔叔多次趁家里没人摸她的胸。", {RED, ORANGE}, ["sexual_abuse"], [], []),
    # 发生了关系 with 了
    (
        "16岁女生说上个月被网友带到宾馆强行发生了关系，没有受伤，也没有怀孕。",
        {ORANGE, RED},
        ["sexual_abuse"],
        ["MR9"],
        [],
    ),
    # a pregnancy is the girl's, even when the man was named last
    ("12岁女孩跟村里一名成年男子住在一起，最近查出已经怀孕三个月。", {RED, ORANGE}, ["sexual_abuse"], ["MR2"], []),
    # a bride price received by the parents is still the child's marriage
    ("家长已经收下男方家的彩礼，准备让15岁的女儿退学，女孩本人不愿意。", {YELLOW, ORANGE}, ["early_marriage"], [], []),
    # missing without 失踪: not back, phone off, for hours
    ("11岁儿子昨天放学后一直没回来，手机关机，家人已经找了一整夜。", {RED}, ["missing_trafficking"], ["MR7"], []),
    ("我女兒13歲，昨晚出門後就沒回來，手機關機到現在。", {RED}, ["missing_trafficking"], ["MR7"], []),
    # drugging: deep sleep that cannot be woken, medicine put into food or drink
    (
        "老师怀疑保姆在孩子的水杯里加了药，3岁的孩子整个下午昏睡，怎么叫都叫不醒，已送医。",
        {ORANGE, RED},
        ["physical_abuse"],
        ["MR4"],
        [],
    ),
    # adults luring small children into a vehicle, expected again today
    (
        "这几天有个陌生男人在幼儿园门口拿糖骗小朋友上车，今天傍晚可能还会来。",
        {RED},
        ["other_serious_harm"],
        ["MR9"],
        [],
    ),
    (
        "A man in a grey car has been trying to lure pupils into his car outside the primary school; "
        "parents expect him back after school today.",
        {RED},
        ["other_serious_harm"],
        ["MR9"],
        [],
    ),
    # sexual exploitation of a 16-17-year-old is not lawful work
    (
        "17岁女孩被老乡介绍到酒吧上班，每晚被要求陪客人喝酒，身份证被老板扣了不让走。",
        {ORANGE, RED},
        ["other_serious_harm"],
        ["MR9"],
        [],
    ),
    # English: sextortion, grooming with a meeting tonight, an overdose now
    (
        "A 15-year-old girl says a stranger she met online has an intimate video of her and demands money "
        "or he will send it to her school.",
        {ORANGE, RED},
        ["online_harm"],
        ["MR9"],
        [],
    ),
    (
        "Boy, 12, has been chatting on a gaming app with an adult who asked for pictures of him in his underwear; "
        "the adult plans to meet him this evening at the park.",
        {RED},
        ["online_harm"],
        ["MR9"],
        [],
    ),
    (
        "Girl, 14, says she swallowed most of a packet of paracetamol tablets ten minutes ago and feels sick.",
        {RED},
        ["self_harm_risk"],
        ["MR5"],
        [],
    ),
    # English idioms are not deaths or disappearances
    (
        "My son, 12, keeps missing school because he games all night; he says he is dead tired and dying to "
        "drop out. We want counselling.",
        {BLUE, YELLOW},
        [],
        [],
        ["missing_trafficking", "serious_injury_or_death"],
    ),
    # a companion who is not the abuser; an abuser away from the child
    ("14岁女孩两周前被陌生男子强奸，目前与外婆同住，对方身份不明。", {ORANGE}, ["sexual_abuse"], ["MR9"], []),
    (
        "Girl, 9, has bruises from her father's belt. She is staying with her grandmother this month and the "
        "father has not visited.",
        {ORANGE},
        ["physical_abuse"],
        [],
        [],
    ),
    # ...but a child at home tonight with the abuser is red
    (
        "Mum is in hospital until Monday, so the 9-year-old is home with her stepfather, who hits her.",
        {RED},
        ["physical_abuse"],
        [],
        [],
    ),
    (
        "16歲女生說爸媽出差，今晚家裡只有她和表哥兩個人，表哥上週強迫她發生了關係。",
        {RED},
        ["sexual_abuse"],
        ["MR9"],
        [],
    ),
    # past self-harm with the current plan denied is orange, not red
    (
        "15岁男生手腕上有用刀片划的伤口，已缝合，近一个月多次自伤，否认现在有轻生计划。",
        {ORANGE},
        ["self_harm_risk"],
        [],
        [],
    ),
    # colloquial "no" answers the question about self-harm
    ("問她有沒有想傷害自己，她說「沒有啦，只是心情不好」。", {BLUE, YELLOW}, [], [], ["self_harm_risk"]),
    # drunk teenagers in a bar are a venue problem, not a guardianship gap
    (
        "A karaoke bar sells beer to teenagers; neighbours see kids of 15 leaving drunk after midnight.",
        {BLUE, YELLOW},
        ["venue_violation"],
        [],
        ["guardianship_gap"],
    ),
]


@pytest.mark.parametrize(("narrative", "urgencies", "categories", "codes", "forbidden"), CASES)
def test_second_review_patterns(
    narrative: str, urgencies: set[str], categories: list[str], codes: list[str], forbidden: list[str]
) -> None:
    result = run(narrative)
    got = [c.value for c in result.categories]
    why = explain(result)
    assert result.urgency.value in urgencies, why
    for category in categories:
        assert category in got, why
    if categories:
        assert got[0] == categories[0], why
    assert set(codes) <= {m.value for m in result.mandatory_report_codes}, why
    for category in forbidden:
        assert category not in got, why


def test_harmless_call_does_not_hide_the_abuse() -> None:
    """'打的电话' is a call: the report of forced sex in the same narrative still leads."""
    result = run("她说是在便利店门口打的电话。她14岁，舅舅从去年起多次强迫和她发生关系。")
    assert result.categories and result.categories[0].value == "sexual_abuse", explain(result)


def test_pregnancy_is_not_said_of_the_man() -> None:
    result = run("13岁女孩与一名20岁男子办了酒席，一直住在男方家，现在已怀孕。")
    got = [c.value for c in result.categories]
    assert "MR2" in {m.value for m in result.mandatory_report_codes}, explain(result)
    assert "early_marriage" in got, explain(result)


def test_adult_marriage_is_not_early_marriage() -> None:
    result = run("爸爸上个月结婚了，12岁的儿子不愿意和后妈住，经常哭。")
    assert "early_marriage" not in [c.value for c in result.categories], explain(result)
