"""General capabilities added after the first held-out evaluation: each pattern is tested with
sentences written for this file (zh-Hans, zh-Hant, en), not taken from any evaluation set.

Patterns: English narratives; sexual abuse described without keywords; missing children found
without 失踪; abandonment without the exact phrase; self-harm (possessives, "如果" ideation,
quoted insults, questions answered no); danger-now and access cues; injury lists across clauses;
trigger characters inside other words; negation scope; begging without 乞讨; requests that pick
the service; reports about no particular child.
"""

from __future__ import annotations

from typing import Any

import pytest

from intake_forms.schema import parse_intake
from triage.engine import TriageResult, classify
from triage.policy import default_policy
from triage.text import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return default_policy().lexicon.matcher


def run(narrative: str, **fields: Any) -> TriageResult:
    return classify(parse_intake({"narrative": narrative, **fields}))


def check(result: TriageResult, urgency: str, categories: list[str], codes: list[str], forbidden: list[str]) -> None:
    got = [c.value for c in result.categories]
    explained = "\n".join(f"{r.rule} | {r.evidence}" for r in result.reasons)
    assert result.urgency.value == urgency, explained
    for category in categories:
        assert category in got, explained
    if categories:
        assert got[0] == categories[0], explained
    assert set(codes) <= {m.value for m in result.mandatory_report_codes}, explained
    for category in forbidden:
        assert category not in got, explained
    assert result.reasons, "every decision is explained"


# (narrative, urgency, categories that must be found (primary first), MR codes required, categories forbidden)
CASES = [
    # 1. English narratives: disappearance, self-cutting, assault, touching, threats, school refusal, injury lists
    (
        "My niece Anna, 11, left for school this morning and nobody has seen her since; her phone is switched off "
        "and we have searched the whole neighbourhood.",
        "red",
        ["missing_trafficking"],
        ["MR7"],
        [],
    ),
    (
        "Jake (13) has been unreachable since Friday night; no one knows where he is.",
        "red",
        ["missing_trafficking"],
        ["MR7"],
        [],
    ),
    (
        "The school nurse noticed fresh cuts on her wrists; the 13-year-old admitted she cuts herself when stressed.",
        "orange",
        ["self_harm_risk"],
        ["MR5"],
        [],
    ),
    (
        "A 9-year-old girl told her teacher that a neighbour pulls down her pants and touches her down there.",
        "orange",
        ["sexual_abuse"],
        ["MR2"],
        [],
    ),
    (
        "The 16-year-old said a man she met at a party gave her several drinks and she woke up in his flat naked.",
        "orange",
        ["sexual_abuse"],
        ["MR9"],
        [],
    ),
    (
        "An older teenager told the 12-year-old boy he would break his legs unless he delivers sealed packages "
        "for him after school today.",
        "red",
        ["other_serious_harm"],
        ["MR9"],
        [],
    ),
    (
        "Her daughter, 8, refuses to go to school because older girls keep mocking her and leave her out.",
        "yellow",
        ["bullying"],
        [],
        ["self_harm_risk"],
    ),
    (
        "The 15-year-old girl next door stopped going to school in March; her parents say she should help at home.",
        "blue",
        ["education_rights"],
        [],
        [],
    ),
    (
        "A boy (10) came to school with welts across his back and both legs after a beating by a neighbour, "
        "who has since been arrested.",
        "orange",
        ["physical_abuse"],
        ["MR4"],
        [],
    ),
    (
        "Two boys in his class keep cornering the 11-year-old in the toilets and grabbing his crotch.",
        "orange",
        ["sexual_abuse", "bullying"],
        ["MR9"],
        [],
    ),
    # 2. sexual abuse without keywords; the bare word in a worry or a policy question does not count
    ("6岁女孩跟奶奶说,邻居叔叔把手伸进她的内裤里摸,还不让她说出去。", "orange", ["sexual_abuse"], ["MR2"], []),
    ("幼儿园老师发现4岁女童内裤上有血,她说表哥用手弄她那里很疼。", "orange", ["sexual_abuse"], ["MR1", "MR2"], []),
    ("孩子10岁,說補習班老師經常讓她坐在腿上,摸她屁股,還親她的嘴。", "orange", ["sexual_abuse"], ["MR2"], []),
    (
        "一名中年男子带着一个约11岁的女孩入住大床房,女孩表情很害怕,男子拒绝出示女孩的证件,两人现在在房间。",
        "red",
        ["sexual_abuse"],
        ["MR2"],
        [],
    ),
    (
        "12歲女孩在網上認識一個成年男子,今晚被帶到他家,他把門反鎖了,要她留下來陪他睡。",
        "red",
        ["sexual_abuse", "online_harm"],
        ["MR9"],
        [],
    ),
    (
        "家长担心孩子会被性侵,想了解学校有没有开展防性侵教育,孩子一切正常,不涉及具体个案。",
        "blue",
        ["inquiry"],
        [],
        ["sexual_abuse"],
    ),
    ("幼儿园想了解招聘时如何查询应聘者的性侵违法犯罪记录。", "blue", ["inquiry"], [], ["sexual_abuse"]),
    (
        "A school asks how to run abuse prevention lessons for parents; no particular child is involved.",
        "blue",
        ["inquiry"],
        [],
        ["sexual_abuse", "physical_abuse"],
    ),
    # 3. missing / trafficked without 失踪; a lost pet is not a missing child
    (
        "女儿9岁,下午5点放学,到现在晚上8点还没回来,电话手表打不通,学校附近都找了。",
        "red",
        ["missing_trafficking"],
        ["MR7"],
        [],
    ),
    ("兒子12歲,昨晚出門後一直沒回家,手機關機,親戚家都找遍了。", "red", ["missing_trafficking"], ["MR7"], []),
    ("孙女养的小猫前天不见了,孩子很难过,天天哭,想找人开导一下。", "blue", ["counselling"], [], ["missing_trafficking"]),
    (
        "邻居家突然多了一个两岁的女孩,问起来说是朋友送来养的,又说不清是哪个朋友,还有人听说花了八万。",
        "red",
        ["missing_trafficking"],
        ["MR7"],
        [],
    ),
    # 4. abandonment without the exact phrase; the narrative outranks a hardship checkbox
    (
        "一名约5岁的男孩在医院门口站了一下午,说妈妈让他在这等着,然后就走了,再也没回来。",
        "orange",
        ["abandonment_neglect"],
        ["MR6"],
        ["hardship"],
    ),
    (
        "兄妹俩一个11岁一个7岁,父母外出后失去联系半年了,两个孩子自己生活,靠邻居接济。",
        "orange",
        ["abandonment_neglect"],
        ["MR6"],
        ["hardship"],
    ),
    # 5. self-harm: possessive owner, "如果" ideation, farewell, quoted insult, question answered no
    ("來電女生15歲,說剛剛把爸爸的一整瓶安眠藥都吃了,現在很想睡。", "red", ["self_harm_risk"], ["MR5"], []),
    ("高一男生说,有时候会想如果我死了就不用面对这些了,但没有具体计划。", "orange", ["self_harm_risk"], [], []),
    (
        "Caller says her 15-year-old son posted a goodbye message an hour ago and is not answering his phone; "
        "he had talked about the bridge.",
        "red",
        ["self_harm_risk"],
        [],
        [],
    ),
    (
        "同学在网上的群里骂她「去死吧」,她很生气,但说自己没有想过伤害自己。",
        "yellow",
        ["bullying", "online_harm"],
        [],
        ["self_harm_risk"],
    ),
    ("我问他有没有想过自杀,他说没有,只是最近压力大,睡不好。", "blue", ["counselling"], [], ["self_harm_risk"]),
    (
        "3岁男童趁大人不注意,把奶奶的降压药吃了十几片,正在洗胃。",
        "red",
        ["serious_injury_or_death"],
        ["MR5"],
        ["self_harm_risk"],
    ),
    # 6. danger now and access
    (
        "12岁女孩在KTV被老板逼着陪酒,现在还在包间里,门口有人看着不让她走。",
        "red",
        ["other_serious_harm"],
        ["MR9"],
        [],
    ),
    ("14岁男生说体育老师多次摸他下体,明天早上还要去上这个老师的训练课。", "red", ["sexual_abuse"], ["MR9"], []),
    ("13岁女孩怀孕了,去年起一直住在男方家,男方22岁。", "red", ["sexual_abuse"], ["MR2"], []),
    # 7. injury descriptions across clauses
    ("8岁男孩说邻居大爷用衣架打他,胳膊上青一块紫一块,屁股上也有几道印子。", "orange", ["physical_abuse"], ["MR4"], []),
    # 8. trigger characters inside other words
    ("孩子说打他的电话手表一直没人接,我们就打了110。", "yellow", [], [], ["bullying", "physical_abuse"]),
    ("我透过门缝看见孩子在写作业,屋里很乱。", "yellow", [], [], ["early_marriage"]),
    ("孩子沉迷暴力游戏,家长想咨询怎么限制游戏时间。", "blue", [], [], ["physical_abuse"]),
    ("孩子被爸爸打了以后跑到网吧门口坐着,不敢回家。", "red", ["physical_abuse"], [], ["venue_violation"]),
    (
        "孩子目前已送到救助站,吃住正常,家长在外地打工联系不上,来电人想了解后续流程。",
        "blue",
        ["inquiry"],
        [],
        ["hardship"],
    ),
    # 9. negation scope
    (
        "An online contact asked the 12-year-old girl for pictures without her clothes on a chat app; "
        "she says she sent no nude pictures.",
        "orange",
        ["online_harm"],
        ["MR9"],
        [],
    ),
    # 10. begging without 乞讨; a request outranks background hardship
    (
        "地铁口有两个六七岁的孩子拉着行人要钱,一个男人在旁边收钱,现在还在那里。",
        "red",
        ["organized_begging"],
        ["MR8"],
        [],
    ),
    ("家里经济困难,孩子被狗咬伤,想咨询怎么起诉狗主人,能不能申请法律援助。", "blue", ["legal_aid"], [], []),
]


@pytest.mark.parametrize(("narrative", "urgency", "categories", "codes", "forbidden"), CASES)
def test_general_patterns(
    narrative: str, urgency: str, categories: list[str], codes: list[str], forbidden: list[str]
) -> None:
    check(run(narrative), urgency, categories, codes, forbidden)


@pytest.mark.parametrize(
    ("text", "signal", "present"),
    [
        # a negation-break word ends the negation's scope
        ("She has no money and her father beats her.", "beating", True),
        ("孩子没有钱吃饭,而且爸爸经常殴打她。", "beating", True),
        ("He was not hurt.", "injury", False),
        # a negation inside the gap of an 'A…B' pattern
        ("检查发现下面没有红肿。", "genital_injury", False),
        ("检查发现下面红肿,有血丝。", "genital_injury", True),
        # a question answered no, across clauses
        ("问她有没有想过自杀,她说没有。", "suicide_ideation", False),
        ("I asked him if he had thought of suicide and he said no.", "suicide_ideation", False),
        ("问她有没有想过自杀,她点头说有。", "suicide_ideation", True),
        # the possessor is not the subject
        ("她把妈妈的安眠药吃了。", "poisoning", True),
        # an animal or a thing is not a missing child
        ("家里的小狗走失了。", "missing", False),
        ("孩子的书包不见了。", "missing", False),
        ("孩子不见了。", "missing", True),
        # a Chinese clause without a subject takes the subject of its sentence
        ("姑姑说侄女怀孕了,男朋友18岁,在外地打工。", "labour_work", False),
        ("爸爸打了他,他跑出去以后一直没回家,电话也打不通。", "missing", True),
        # gapped harmless phrases and compound words
        ("打他电话没人接。", "beating", False),
        ("透过门缝看见。", "early_marriage", False),
        ("在网吧门口等人。", "entertainment_venue", False),
        ("她在网吧上网到凌晨。", "entertainment_venue", True),
        # the insult said by others is not ideation; the child's own wish is
        ("他们骂她去死。", "suicide_ideation", False),
        ("她说真想去死。", "suicide_ideation", True),
        # ideation framed with 如果 is still ideation; a plain hypothetical is not
        ("有时会想如果从楼顶跳下去就解脱了。", "suicide_ideation", True),
        ("如果学生有自杀倾向,学校应当如何处理?", "suicide_ideation", False),
        # English gaps are measured in words, not Chinese characters
        ("she woke up in a stranger's spare room naked", "sexual_act", True),
    ],
)
def test_text_mechanisms(matcher: Matcher, text: str, signal: str, present: bool) -> None:
    assert matcher.analyze(text).has(signal) is present


def test_lives_with_another_adult_is_not_access() -> None:
    result = run(
        "Her mother's ex-partner hit the 7-year-old with a belt last week, leaving welts on his legs, back and arms. "
        "He moved out and is barred from the flat; the boy lives with his grandmother."
    )
    assert result.urgency.value == "orange"
    assert any(r.rule == "access-not-the-alleged-abuser" for r in result.reasons)


def test_narrative_abandonment_outranks_hardship_checkbox() -> None:
    fields = {
        "channel": "web",
        "child": {"age": 7, "sex": "male"},
        "screening": {
            "immediate_danger": "no",
            "perpetrator_access_24h": "no",
            "needs_medical_care_now": "no",
            "missing": "no",
            "self_harm_risk": "no",
            "observed": ["hardship"],
        },
        "alleged_perpetrator": {"relationship": "parent"},
    }
    result = run("父母半年前把孩子托给外婆后就再也没联系过,电话停机,外婆身体不好带不动了。", **fields)
    assert [c.value for c in result.categories] == ["abandonment_neglect"]
    assert result.urgency.value == "orange"


def test_no_specific_case_keeps_a_yes_answer() -> None:
    fields = {
        "channel": "web",
        "child": {"age": 9, "sex": "female"},
        "screening": {
            "immediate_danger": "yes",
            "perpetrator_access_24h": "unknown",
            "needs_medical_care_now": "no",
            "missing": "no",
            "self_harm_risk": "no",
            "observed": [],
        },
        "alleged_perpetrator": {"relationship": "unknown"},
    }
    result = run("不涉及具体个案,想问问孩子被打了应该找谁。", **fields)
    assert result.urgency.value == "red"


def test_requested_service_is_explained() -> None:
    result = run("来电人生活困难,想咨询怎么追讨抚养费,能不能申请法律援助。")
    assert [c.value for c in result.categories] == ["legal_aid"]
    assert any(r.rule == "residual-legal_aid-requested" for r in result.reasons)
