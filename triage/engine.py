"""The triage engine: one intake in, one explained decision out (TRIAGE_POLICY.md).

``classify`` is a pure function of the intake and the policy: no database, no Flask, no network,
no global mutable state. It reads the structured answers (screening questions, observed
checkboxes, the child's age and sex, the alleged perpetrator's relationship) and the narrative;
when the narrative is more serious than the checkboxes it wins (§8). Every decision is recorded as
a ``Reason`` naming a stable rule id and the evidence that fired it, so an operator can check it.

The order of reasoning follows the policy: mandatory-report situations (MR1–MR8, then MR9 only
when none of those applies), categories of the catalogue, the urgency (category defaults raised by
the catalogue's escalation facts; any MR is at least orange; unclassifiable is yellow), and the
routing (primary category's lead, its assisting agencies, the conditional ones, the other
categories' leads, and the police whenever an MR code applies).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hotline.taxonomy import (
    AgencyType,
    AgeRange,
    Answer,
    Category,
    MandatoryReport,
    Relationship,
    ReporterRole,
    Sex,
    Urgency,
)
from intake_forms.schema import IntakeData
from triage.policy import Escalation, Policy, default_policy
from triage.text import AgeEstimate, Analysis, Hit, Person

_AGE_RANGES = {
    AgeRange.A0_2: (0, 2),
    AgeRange.A3_5: (3, 5),
    AgeRange.A6_11: (6, 11),
    AgeRange.A12_13: (12, 13),
    AgeRange.A14_15: (14, 15),
    AgeRange.A16_17: (16, 17),
}
_SCHOOL_ROLES = frozenset(
    {ReporterRole.TEACHER, ReporterRole.PRINCIPAL, ReporterRole.SCHOOL_DOCTOR, ReporterRole.TRAINER}
)
_SCHOOL_PERPETRATORS = frozenset({Relationship.TEACHER, Relationship.SCHOOL_STAFF})
_HOUSEHOLD = frozenset(
    {
        Relationship.PARENT,
        Relationship.STEP_PARENT,
        Relationship.PARENT_PARTNER,
        Relationship.GRANDPARENT,
        Relationship.CAREGIVER,
    }
)
_ABUSE_SIGNALS = ("beating", "sexual_act", "genital_injury", "malnutrition", "confined")
_MR_BEFORE_9 = frozenset(MandatoryReport) - {MandatoryReport.MR9}


@dataclass(frozen=True)
class Reason:
    """One rule that fired and the evidence that fired it (an answer, or words of the narrative)."""

    rule: str
    evidence: str


@dataclass(frozen=True)
class TriageResult:
    """The explained triage decision for one report."""

    urgency: Urgency
    categories: tuple[Category, ...]
    mandatory_report_codes: tuple[MandatoryReport, ...]
    lead_agency_type: AgencyType
    assisting_agency_types: tuple[AgencyType, ...]
    reasons: tuple[Reason, ...]
    policy_version: str

    def to_json(self, intake_id: str | None) -> dict[str, Any]:
        """The INTAKE_SCHEMA triage result object, plus ``policy_version``."""
        return {
            "id": intake_id,
            "urgency": self.urgency.value,
            "categories": [c.value for c in self.categories],
            "mandatory_report_codes": [m.value for m in self.mandatory_report_codes],
            "lead_agency_type": self.lead_agency_type.value,
            "assisting_agency_types": [a.value for a in self.assisting_agency_types],
            "reasons": [{"rule": r.rule, "evidence": r.evidence} for r in self.reasons],
            "policy_version": self.policy_version,
        }


_WITH_MARKERS = frozenset("与與和跟同随隨")


def classify(intake: IntakeData, policy: Policy | None = None) -> TriageResult:
    """Triage one intake under ``policy`` (the shipped default when None)."""
    return _Case(intake, policy or default_policy()).decide()


def _answer(answer: Answer, name: str) -> str:
    """Evidence for a screening question answered yes, else ''."""
    return f"screening.{name}=yes" if answer is Answer.YES else ""


def _quote(hit: Hit) -> str:
    text = f"narrative: '{hit.quote}'"
    return f"{text} (hedged: '{hit.hedge}')" if hit.hedge else text


class _Case:
    """Working state of one classification; created and discarded inside ``classify``."""

    def __init__(self, intake: IntakeData, policy: Policy) -> None:
        self.intake = intake
        self.policy = policy
        self.lexicon = policy.lexicon
        self.settings = policy.lexicon.matcher.settings
        self.analysis: Analysis = policy.lexicon.matcher.analyze(intake.narrative)
        self.reasons: list[Reason] = []
        self.checked: dict[str, str] = {}
        self._evidence: dict[str, str] = {}
        screening = intake.screening
        for observation in screening.observed:
            for signal in self.lexicon.observations.get(observation, ()):
                self.checked.setdefault(signal, f"observed={observation.value}")
        if screening.self_harm_risk is Answer.YES:
            self.checked.setdefault("suicide_ideation", "screening.self_harm_risk=yes")
        if screening.missing is Answer.YES:
            self.checked.setdefault("missing", "screening.missing=yes")
        self.relationship = intake.alleged_perpetrator.relationship
        self.age = self._age()
        self.sex, self.sex_evidence = self._sex()

    # -- evidence helpers ------------------------------------------------------------------

    def sig(self, name: str) -> str:
        """Evidence for a signal from the checkboxes and/or the narrative, or '' if absent."""
        cached = self._evidence.get(name)
        if cached is None:
            hit = self.analysis.first(name)
            parts = [self.checked[name]] if name in self.checked else []
            if hit is not None:
                parts.append(_quote(hit))
            cached = self._evidence[name] = "; ".join(parts)
        return cached

    def narrative(self, name: str) -> str:
        """Evidence for a signal from the narrative only."""
        hit = self.analysis.first(name)
        return _quote(hit) if hit else ""

    def add(self, rule: str, *evidence: str) -> None:
        self.reasons.append(Reason(rule, "; ".join(e for e in evidence if e)))

    def _age(self) -> AgeEstimate | None:
        child = self.intake.child
        if child.age is not None:
            return AgeEstimate(child.age, child.age, f"age={child.age}")
        if child.age_range in _AGE_RANGES:
            low, high = _AGE_RANGES[child.age_range]
            return AgeEstimate(low, high, f"age_range={child.age_range.value}")
        return self.analysis.age

    def _sex(self) -> tuple[Sex | None, str]:
        sex = self.intake.child.sex
        if sex in (Sex.FEMALE, Sex.MALE):
            return sex, f"sex={sex.value}"
        if self.analysis.sex:
            return Sex(self.analysis.sex), self.analysis.sex_evidence
        return None, "sex unknown"

    def age_text(self) -> str:
        return self.age.evidence if self.age else "age unknown"

    # -- the decision ------------------------------------------------------------------------

    def decide(self) -> TriageResult:
        codes = self._mandatory_codes()
        candidates = self._categories(codes)
        self._no_specific_case(codes, candidates)
        categories = self._select(candidates)
        self._mr9(codes, categories)
        facts = self._facts(codes)
        urgency = self._urgency(categories, codes, facts)
        lead, assisting = self._routing(categories, codes, facts)
        self._negations()
        return TriageResult(
            urgency=urgency,
            categories=tuple(categories),
            mandatory_report_codes=tuple(sorted(codes, key=lambda c: int(c.value[2:]))),
            lead_agency_type=lead,
            assisting_agency_types=tuple(assisting),
            reasons=tuple(self.reasons),
            policy_version=self.policy.version,
        )

    def _no_specific_case(self, codes: dict[MandatoryReport, str], found: dict[Category, str]) -> None:
        """The caller says no particular child is concerned ("不涉及具体个案", "no particular child is
        involved"): harm words are the topic of a question, not an event. Only when no screening
        answer and no checkbox says otherwise (safety first)."""
        marker = self.narrative("no_specific_case")
        screening = self.intake.screening
        answered_yes = any(
            getattr(screening, name) is Answer.YES
            for name in (
                "immediate_danger",
                "perpetrator_access_24h",
                "needs_medical_care_now",
                "missing",
                "self_harm_risk",
            )
        )
        if not marker or answered_yes or self.checked:
            return
        general = (Category.INQUIRY, Category.LEGAL_AID, Category.VENUE_VIOLATION)
        for category in [c for c in found if c not in general]:
            self.add(f"discounted-{category.value}-no-specific-case", f"{found.pop(category)}; {marker}")
        for code in list(codes):
            self.add(f"discounted-{code.value}-no-specific-case", f"{codes.pop(code)}; {marker}")
        found.setdefault(Category.INQUIRY, marker)

    def _mandatory_codes(self) -> dict[MandatoryReport, str]:
        """MR1–MR8 with their evidence (MR9 is decided after the categories)."""
        codes: dict[MandatoryReport, str] = {}
        limit = self.settings.under_age_limit
        possibly_under = self.age is None or self.age.low < limit
        surely_over = self.age is not None and self.age.low >= limit
        female = self.sex is Sex.FEMALE or self.sex is None
        # sexual images or videos shown without any online context are an offline sexual act
        offline_images = "" if self.analysis.has("sexual_online_ctx") else self.narrative("sexual_online")
        self.assault = self.sig("sexual_act") or offline_images
        contact = self.sig("sexual_contact")
        self.sexual = self.assault or (contact if possibly_under else "")
        # an adult demanding sex, or holding the child for sex, before anything happened: sexual
        # abuse category with MR9 (danger of unlawful harm, no harm yet), not MR1–MR3
        self.sexual_danger = "" if self.sexual else self.sig("sexual_demand")
        genital = self.sig("genital_injury")
        self.pregnant = self.sig("pregnancy") or self.sig("abortion")
        self.teen_pregnancy = ""

        if genital:
            codes[MandatoryReport.MR1] = genital
            self.add("MR1-genital-injury", genital)
        if female and possibly_under and (self.sexual or genital or self.pregnant):
            if self.pregnant:
                rule, evidence = "MR2-under-14-pregnancy", self.pregnant
            elif self.sexual:
                rule, evidence = "MR2-under-14-sexual-assault", self.sexual
            else:
                rule, evidence = "MR2-under-14-genital-injury", genital
            codes[MandatoryReport.MR2] = evidence
            self.add(rule, self.age_text(), self.sex_evidence, evidence)
        if female and surely_over and self.pregnant:
            if self.assault:
                codes[MandatoryReport.MR3] = self.pregnant
                self.add("MR3-14-plus-pregnancy-from-assault", self.age_text(), self.pregnant, self.assault)
            else:
                self.teen_pregnancy = self.pregnant
                self.add("no-MR-14-plus-pregnancy-without-assault", self.age_text(), self.pregnant)

        violence = self.sig("violence_context") or self.sig("confined")
        genital_clauses = {h.clause for h in self.analysis.hits.get("genital_injury", ())}
        multiple = [h for h in self.analysis.hits.get("multiple_injuries", ()) if h.clause not in genital_clauses]
        for signal, rule in (
            ("multiple_injuries", "MR4-multiple-injuries"),
            ("malnutrition", "MR4-severe-malnutrition"),
            ("unconscious", "MR4-impaired-consciousness"),
            ("drugged", "MR4-drugged"),
        ):
            evidence = self.sig(signal)
            if signal == "multiple_injuries" and signal not in self.checked:
                # injuries of the genitals alone are MR1, not "multiple injuries"
                evidence = _quote(multiple[0]) if multiple else ""
            if evidence and (signal in self.checked or violence or signal == "drugged"):
                codes.setdefault(MandatoryReport.MR4, evidence)
                self.add(rule, evidence, violence)

        self.self_harm = self._self_harm()
        injury = self.sig("injury")
        poisoning = self.sig("poisoning")
        self.self_harm_injury = (injury or poisoning or self.sig("death")) if self.self_harm else ""
        self.labour = self._labour()
        for signal, rule in (
            ("death", "MR5-death"),
            ("disability", "MR5-disability"),
            ("poisoning", "MR5-poisoning"),
            ("serious_accident", "MR5-serious-accident"),
        ):
            evidence = self.sig(signal)
            if evidence:
                codes.setdefault(MandatoryReport.MR5, evidence)
                self.add(rule, evidence)
        if self.self_harm_injury:
            codes.setdefault(MandatoryReport.MR5, self.self_harm_injury)
            self.add("MR5-self-harm-injury", self.self_harm, self.self_harm_injury)
        work_harm = self.labour and (injury or self.sig("disability"))
        if work_harm:
            codes.setdefault(MandatoryReport.MR5, work_harm)
            self.add("MR5-work-injury", self.labour, work_harm)

        young = self.age is None or self.age.low <= self.settings.young_child_max_age
        for signal, rule in (("abandoned", "MR6-abandoned"), ("alone_long", "MR6-left-without-care")):
            evidence = self.sig(signal)
            if evidence:
                codes.setdefault(MandatoryReport.MR6, evidence)
                self.add(rule, evidence)
        self.alone_now = self.sig("alone_now") if young else ""
        if self.alone_now and MandatoryReport.MR6 not in codes:
            codes[MandatoryReport.MR6] = self.alone_now
            self.add("MR6-young-child-alone-now", self.age_text(), self.alone_now)

        for signal, rule in (("missing", "MR7-missing"), ("trafficked", "MR7-trafficked-or-unknown-origin")):
            evidence = self.sig(signal)
            if evidence:
                codes.setdefault(MandatoryReport.MR7, evidence)
                self.add(rule, evidence)
        begging = self.sig("begging")
        if begging:
            codes[MandatoryReport.MR8] = begging
            self.add("MR8-organized-begging", begging)
        return codes

    def _self_harm(self) -> str:
        """Evidence of suicide or self-harm risk; an ingestion by a small child, or one said to be an
        accident, is a poisoning and not self-harm."""
        ideation = self.sig("suicide_ideation")
        act = self.sig("self_harm_act")
        if ideation or not act or "self_harm_act" in self.checked:
            return ideation or act
        accidental = self.narrative("accidental")
        if accidental:
            self.add("not-self-harm-accidental", act, accidental)
            return ""
        if self.age is not None and self.age.high <= self.settings.self_harm_min_age:
            self.add("not-self-harm-young-child", self.age_text(), act)
            return ""
        return act

    def _labour(self) -> str:
        """Evidence of child labour, unless the child is of lawful working age."""
        evidence = self.sig("child_labour")
        if evidence and self.age is not None and self.age.low >= self.settings.min_working_age:
            self.add("not-child-labour-working-age", self.age_text(), evidence)
            return ""
        return evidence

    def _beating(self) -> tuple[str, str]:
        """Evidence of violence by an adult and by peers (a peer named in the same sentence)."""
        peer_sentences = {h.sentence for h in self.analysis.hits.get("peer", ())}
        by_peer = self.relationship is Relationship.PEER
        adult = peer = ""
        for hit in self.analysis.hits.get("beating", ()):
            if by_peer or hit.sentence in peer_sentences:
                peer = peer or _quote(hit)
            else:
                adult = adult or _quote(hit)
        peer = peer or self.narrative("peer_violence")
        return adult, peer

    def _categories(self, codes: dict[MandatoryReport, str]) -> dict[Category, str]:
        """Every category the evidence supports, with the evidence, before subsumption."""
        found: dict[Category, str] = {}
        mr = MandatoryReport
        sexual = codes.get(mr.MR1) or codes.get(mr.MR2) or codes.get(mr.MR3) or self.sexual or self.sexual_danger
        if sexual:
            found[Category.SEXUAL_ABUSE] = sexual
        adult_beating, peer_beating = self._beating()
        bullying = self.sig("bullying") or peer_beating
        mr4 = codes.get(mr.MR4, "")
        adult_relationship = self.relationship not in (None, Relationship.PEER, Relationship.UNKNOWN)
        serious = ""
        if not self.self_harm and not self.labour:
            serious = (
                self.sig("death") or self.sig("disability") or self.sig("poisoning") or self.sig("serious_accident")
            )
        if not serious and not self.self_harm and self.relationship not in _HOUSEHOLD:
            # an assault (not by the household: that is physical abuse) that left the child
            # unconscious or in need of emergency care is a serious injury
            serious = self.narrative("serious_assault")
            agent = self.analysis.agent(self.analysis.first("beating")) if serious else None
            if agent is not None and any(
                h.start == agent.start for h in self.analysis.hits.get("household_member", ())
            ):
                serious = ""
        if serious:
            found[Category.SERIOUS_INJURY_OR_DEATH] = serious
        physical = adult_beating or (mr4 if (not bullying or adult_relationship) else "")
        physical = physical or self.narrative("harm_now")
        if physical and serious and not mr4:
            self.add("physical-abuse-recorded-as-serious-injury", serious)
            physical = ""
        if physical:
            found[Category.PHYSICAL_ABUSE] = physical
        if codes.get(mr.MR6):
            found[Category.ABANDONMENT_NEGLECT] = codes[mr.MR6]
        if codes.get(mr.MR7):
            found[Category.MISSING_TRAFFICKING] = codes[mr.MR7]
        if codes.get(mr.MR8):
            found[Category.ORGANIZED_BEGGING] = codes[mr.MR8]
        # unlawful confinement ("把门反锁了，不让她走") is serious harm in itself
        other = self.sig("exploitation") or self.sig("threat") or self.sig("confined")
        if other:
            found[Category.OTHER_SERIOUS_HARM] = other
        if self.self_harm:
            found[Category.SELF_HARM_RISK] = self.self_harm
        if bullying:
            found[Category.BULLYING] = bullying
        online = self.sig("online_harm") or self.sig("sexual_online_ctx")
        if online:
            found[Category.ONLINE_HARM] = online
        if self.labour:
            found[Category.CHILD_LABOUR] = self.labour
        marriage = self.sig("early_marriage") or self.teen_pregnancy
        if marriage:
            found[Category.EARLY_MARRIAGE] = marriage
        for category, signal in (
            (Category.GUARDIANSHIP_GAP, "guardianship"),
            (Category.HARDSHIP, "hardship"),
            (Category.EDUCATION_RIGHTS, "education_rights"),
            (Category.LEGAL_AID, "legal_aid"),
            (Category.COUNSELLING, "counselling"),
            (Category.INQUIRY, "inquiry"),
        ):
            evidence = self.sig(signal)
            if evidence:
                found[category] = evidence
        venue = self.sig("entertainment_venue") or self.sig("retail_sale")
        if venue:
            found[Category.VENUE_VIOLATION] = venue
        return found

    def _select(self, found: dict[Category, str]) -> list[Category]:
        """Apply subsumption and residual rules; order most serious first."""
        rules = self.lexicon.rules
        kept = {}
        for category, evidence in found.items():
            covering = sorted(c.value for c in rules[category].subsumed_by if c in found)
            if covering:
                self.add(f"category-{category.value}-covered-by-{covering[0]}", evidence)
            else:
                kept[category] = evidence
        order = list(self.policy.catalogue)
        main = [c for c in kept if not rules[c].residual]
        residual = sorted((c for c in kept if rules[c].residual), key=order.index)
        requested = [c for c in residual if self._requested(c)]
        if not main and requested and requested[0] != residual[0]:
            self.add(f"residual-{requested[0].value}-requested", self._requested(requested[0]))
            residual = requested + [c for c in residual if c not in requested]
        chosen = main or residual[:1]
        ranked = sorted(chosen, key=lambda c: (-self.policy.catalogue[c].default_level.rank, order.index(c)))
        for category in ranked:
            self.add(f"category-{category.value}", kept[category])
        return ranked

    _RESIDUAL_SIGNALS = {
        Category.HARDSHIP: "hardship",
        Category.LEGAL_AID: "legal_aid",
        Category.COUNSELLING: "counselling",
        Category.INQUIRY: "inquiry",
    }

    def _requested(self, category: Category) -> str:
        """Evidence that the caller asks for this service: its words follow a request in one clause
        ("想咨询怎么维权，能不能申请法律援助"); a request outranks background ("家庭困难")."""
        signal = self._RESIDUAL_SIGNALS.get(category)
        if signal is None:
            return ""
        requests = self.analysis.hits.get("request", ())
        for hit in self.analysis.hits.get(signal, ()):
            for request in requests:
                if request.clause == hit.clause and request.end <= hit.start:
                    return f"{_quote(hit)}; request: '{request.quote}'"
        return ""

    def _mr9(self, codes: dict[MandatoryReport, str], categories: list[Category]) -> None:
        """MR9 only when no MR1–MR8 applies (§8)."""
        if _MR_BEFORE_9 & codes.keys():
            return
        for category, rule in (
            (Category.SEXUAL_ABUSE, "MR9-sexual-abuse-no-other-code"),
            (Category.PHYSICAL_ABUSE, "MR9-danger-of-unlawful-harm"),
            (Category.OTHER_SERIOUS_HARM, "MR9-other-serious-harm"),
        ):
            if category in categories:
                evidence = (self.sexual or self.sexual_danger) if category is Category.SEXUAL_ABUSE else ""
                evidence = (
                    evidence
                    or self.sig("harm_now")
                    or self.sig("threat")
                    or self.sig("beating")
                    or self.sig("exploitation")
                )
                codes[MandatoryReport.MR9] = evidence
                self.add(rule, self.age_text(), self.sex_evidence, evidence)
                return
        sexual_online = self.sig("sexual_online_ctx")
        if sexual_online and Category.ONLINE_HARM in categories:
            codes[MandatoryReport.MR9] = sexual_online
            self.add("MR9-online-sexual-exploitation", sexual_online)

    def _access(self) -> str:
        """Evidence that the alleged perpetrator (an adult) is with the child or will be within 24 h."""
        screening = self.intake.screening
        if screening.perpetrator_access_24h is Answer.YES and self.relationship is not Relationship.PEER:
            return "screening.perpetrator_access_24h=yes"
        protective = self.analysis.hits.get("protective", ())
        protected = {h.sentence for h in protective}
        agents = self._abuse_agents()
        for signal in ("perpetrator_present", "soon_with_adult"):
            for hit in self.analysis.hits.get(signal, ()):
                if hit.sentence in protected:
                    continue
                other = companion = None
                if signal == "perpetrator_present":
                    other = self.analysis.person_after(hit)
                    if other is None:
                        other = companion = self._person_before(hit)
                if (
                    other is not None
                    and other.role == "adult"
                    and (protective or ((agents or companion) and other.word not in agents))
                ):
                    # "the boy lives with his mum" after "the ex-boyfriend moved out": someone else
                    self.add("access-not-the-alleged-abuser", f"{_quote(hit)} {other.word}")
                    continue
                return _quote(hit)
        if protective or screening.perpetrator_access_24h is Answer.NO:
            return ""
        # An abuser in the child's household will be with the child within 24 h unless the
        # report says otherwise (moved out, detained, the child is elsewhere...).
        if self.relationship in _HOUSEHOLD and any(
            self.analysis.has(s) or s in self.checked for s in _ABUSE_SIGNALS + ("multiple_injuries",)
        ):
            return f"alleged_perpetrator.relationship={self.relationship.value} (household, no sign of separation)"
        household = self.analysis.hits.get("household_member", ())
        for signal in _ABUSE_SIGNALS:
            for hit in self.analysis.hits.get(signal, ()):
                agent = self.analysis.agent(hit)
                if agent and any(h.start <= agent.start < h.end for h in household):
                    return f"{_quote(hit)}; by '{agent.word}' (household, no sign of separation)"
        return ""

    def _suicide_now(self) -> str:
        """Suicide risk now, unless the sentence it was read from also has a denied plan or ideation
        ("反复自伤，否认目前有轻生计划": past self-harm with no current plan is not red)."""
        hits = self.analysis.hits.get("suicide_now", ())
        if not hits:
            return ""
        blocked = self.analysis.blocked
        denied = {h.sentence: h for name in ("suicide_ideation", "self_harm_plan") for h in blocked.get(name, ())}
        for hit in hits:
            if hit.sentence not in denied:
                return _quote(hit)
        self.add("not-suicide-now-denied", _quote(hits[0]), _quote(denied[hits[0].sentence]))
        return ""

    def _person_before(self, hit: Hit) -> Person | None:
        """The adult named as a companion just before ``hit`` in its clause ("與母親同住")."""
        found = None
        for person in self.analysis.persons:
            if person.start >= hit.start:
                break
            # "与母亲同住" names a companion, "家长来接" the one who came for the child
            near = person.clause == hit.clause and hit.start - person.end <= 3 and person.role == "adult"
            marked = self.analysis.text[max(0, person.start - 1) : person.start] in _WITH_MARKERS
            if near and (marked or hit.term.startswith(("来接", "接"))):
                found = person
        return found

    def _abuse_agents(self) -> set[str]:
        """The adults named as doing the harm ("继父用皮带抽", "hit by her father")."""
        agents = set()
        for signal in _ABUSE_SIGNALS + ("threat",):
            for hit in self.analysis.hits.get(signal, ()):
                agent = self.analysis.agent(hit)
                if agent is not None:
                    agents.add(agent.word)
        return agents

    def _facts(self, codes: dict[MandatoryReport, str]) -> dict[str, str]:
        """The facts the catalogue's rules may test, each with its evidence ('' = false)."""
        screening = self.intake.screening
        child = self.intake.child
        student = ""
        if child.school_or_institution:
            student = f"school_or_institution={child.school_or_institution}"
        elif self.intake.reporter.role in _SCHOOL_ROLES:
            student = f"reporter.role={self.intake.reporter.role.value}"
        else:
            student = self.narrative("student")
        if not student and self.age is not None and self.age.low >= 6 and self.age.high <= 15:
            student = f"{self.age.evidence} (compulsory-education age)"
        staff = ""
        if self.relationship in _SCHOOL_PERPETRATORS:
            staff = f"alleged_perpetrator.relationship={self.relationship.value}"
        staff = staff or self.narrative("school_staff_involved")
        medical = _answer(screening.needs_medical_care_now, "needs_medical_care_now")
        return {
            "immediate_danger": _answer(screening.immediate_danger, "immediate_danger"),
            "perpetrator_access_24h": self._access(),
            "harm_happening_now": self.narrative("harm_now"),
            "afraid_to_go_home": self.narrative("afraid_home"),
            "confined_now": self.narrative("confined_now"),
            "young_child_alone_now": self.alone_now,
            "suicide_risk_now": self._suicide_now(),
            "begging_now": self.narrative("begging_now"),
            "threat_within_24h": self.narrative("threat_soon"),
            "online_meeting_soon": self.narrative("online_meeting_soon"),
            "medical_care_now": medical or self.narrative("medical_now") or self.narrative("unconscious_now"),
            "mandatory_report": ", ".join(sorted(codes)),
            "injury": self.sig("injury"),
            "sexual_online": self.sig("sexual_online_ctx"),
            "pregnancy": self.pregnant,
            "pregnancy_under_14": codes.get(MandatoryReport.MR2, "") if self.pregnant else "",
            "school_staff_involved": staff,
            "student": student,
            "self_harm_injury": self.self_harm_injury,
        }

    def _escalate(
        self, level: Urgency, escalations: Iterable[Escalation], facts: dict[str, str], scope: str
    ) -> Urgency:
        for escalation in escalations:
            for fact in sorted(escalation.when_any):
                if facts.get(fact) and escalation.level.rank > level.rank:
                    self.add(f"{escalation.level.value}-{fact.replace('_', '-')}", scope, facts[fact])
                    level = escalation.level
        return level

    def _urgency(self, categories: list[Category], codes: dict[MandatoryReport, str], facts: dict[str, str]) -> Urgency:
        level = Urgency.BLUE
        for category in categories:
            default = self.policy.catalogue[category].default_level
            if default.rank > level.rank:
                self.add(f"level-default-{default.value}", f"category={category.value}")
                level = default
            level = self._escalate(level, self.lexicon.rules[category].escalate, facts, f"category={category.value}")
        level = self._escalate(level, self.lexicon.global_escalate, facts, "any category")
        if codes and level.rank < Urgency.ORANGE.rank:
            self.add("orange-mandatory-report", facts["mandatory_report"])
            level = Urgency.ORANGE
        if not categories and level.rank < Urgency.YELLOW.rank:
            self.add("undecidable-minor-protection-office", "no category could be decided; manual dispatch")
            level = Urgency.YELLOW
        if level is Urgency.RED:
            self._checkbox_conflict()
        return level

    def _checkbox_conflict(self) -> None:
        """Record when a ticked 'no' was overruled by the narrative (safety first, §8)."""
        screening = self.intake.screening
        said_no = [
            f"screening.{name}=no"
            for name in ("immediate_danger", "perpetrator_access_24h", "needs_medical_care_now")
            if getattr(screening, name) is Answer.NO
        ]
        red_now = [r for r in self.reasons if r.rule.startswith("red-") and "narrative" in r.evidence]
        if said_no and red_now:
            self.add("narrative-outranks-checkbox", "; ".join(said_no) + "; " + red_now[0].evidence)

    def _routing(
        self, categories: list[Category], codes: dict[MandatoryReport, str], facts: dict[str, str]
    ) -> tuple[AgencyType, list[AgencyType]]:
        if not categories:
            return AgencyType.MINOR_PROTECTION_OFFICE, []
        primary = categories[0]
        entry = self.policy.catalogue[primary]
        lead = entry.lead
        for override in self.lexicon.rules[primary].lead_overrides:
            if self.analysis.has(override.when_signal) and not (
                override.unless_signal and self.analysis.has(override.unless_signal)
            ):
                lead = override.lead
                self.add(f"lead-{lead.value}-override", self.narrative(override.when_signal))
                break
        assisting: list[AgencyType] = list(entry.assisting)
        for category in categories:
            for rule in self.lexicon.rules[category].conditional_assisting:
                fired = [f for f in sorted(rule.when_any) if facts.get(f)]
                if fired and rule.agency not in assisting:
                    assisting.append(rule.agency)
                    self.add(f"assisting-{rule.agency.value}-{fired[0].replace('_', '-')}", facts[fired[0]])
        for rule in self.lexicon.global_assisting:
            fired = [f for f in sorted(rule.when_any) if facts.get(f)]
            if fired and rule.agency not in assisting:
                assisting.append(rule.agency)
                self.add(f"assisting-{rule.agency.value}-{fired[0].replace('_', '-')}", facts[fired[0]])
        for category in categories[1:]:
            secondary = self.policy.catalogue[category].lead
            if secondary not in assisting:
                assisting.append(secondary)
        if codes and lead is not AgencyType.POLICE and AgencyType.POLICE not in assisting:
            assisting.append(AgencyType.POLICE)
            self.add("MR-police-assisting", facts["mandatory_report"])
        return lead, [a for a in assisting if a is not lead]

    def _negations(self) -> None:
        """List the narrative words that were heard but discounted, so an operator can check them."""
        seen = set()
        for signal, hits in self.analysis.blocked.items():
            if signal.startswith(("person_", "sex_")) or signal in seen:
                continue
            hit = hits[0]
            seen.add(signal)
            self.add(f"discounted-{signal.replace('_', '-')}", f"narrative: '{hit.quote}' ({hit.blocked_by})")
