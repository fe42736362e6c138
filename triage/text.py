"""Narrative analysis for the triage engine: simplified Chinese, traditional Chinese and English.

The lexicon (``triage/data/lexicon.json``) is data an administrator can extend; this module
compiles it once into a ``Matcher`` (one Aho-Corasick automaton over every term, cue and
exception) and turns a narrative into an ``Analysis``: which signals were found, where, with the
words that fired them, and which were cancelled by negation ("没有受伤"), by a hypothetical
("如果发现…"), by a question answered no ("问她有没有想过伤害自己，她说没有"), or because they
were said of an adult, an animal or a thing ("母亲离家出走", "小狗失踪"). The subject of a Chinese
clause without one is looked for in the earlier clauses of its sentence, skipping possessors
("妈妈的安眠药"), speakers ("医生说") and passive agents ("被…带走").

Why offsets matter: the evidence an operator reads must quote the reporter's own words. The
normalisation (traditional→simplified, lower case, full-width→half-width) is a one-character to
one-character translation, so a span found in the normalised text is the same span in the
original one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import opencc

GAP = "…"
SCOPES = ("clause", "sentence", "text")
SIGNAL_FLAGS = ("negatable", "hypothetical_ok", "child_subject", "adult_subject")
#: Cue kinds: the first three are required, the others optional (see lexicon.json "cues").
CUE_KINDS = ("negation", "hedge", "hypothetical", "negation_break", "question", "answer_no")
LEXICON_KEYS = frozenset(
    {
        "settings",
        "char_map",
        "clause_break_words",
        "harmless",
        "cues",
        "body_parts",
        "age_words",
        "observations",
        "signals",
        "combos",
    }
)
#: Optional settings and their defaults (an older policy document without them stays valid).
OPTIONAL_SETTINGS = {"gap_max_chars_latin": 32, "question_answer_window": 24, "self_harm_min_age": 5}
SETTINGS_KEYS = (
    "negation_window_cjk",
    "negation_window_latin",
    "gap_max_chars",
    "evidence_max_chars",
    "multiple_injury_sites_min",
    "under_age_limit",
    "min_working_age",
    "young_child_max_age",
)
PERSON_SIGNALS = {
    "person_adult": "adult",
    "person_child": "child",
    "person_neutral": "neutral",
    "person_thing": "thing",
    "peer": "child",
}
#: Roles that cannot be the missing / pregnant / working child of a child_subject signal.
NOT_CHILD_ROLES = frozenset({"adult", "thing"})
#: Words after a person that make the person a possessor ("妈妈的安眠药", "her mother's pills").
_POSSESSIVE_AFTER = ("的", "'s", "’s")
# signals said of the girl, not of the man (a pregnancy; a marriage "与…男子办了酒席"), and the
# words that name a man or boy
_FEMALE_ONLY_SIGNALS = frozenset({"pregnancy", "abortion"})
_PARTNER_WORD = re.compile(r"男子|男人|男方|男的|男友|男朋友|丈夫|老公|新郎|\b(?:man|men|boyfriend|husband|groom)\b")
_MALE_WORD = re.compile(
    r"男|父|爸|爹|爷|叔|伯|舅|兄|哥|弟|夫|婿|公公|姥爷|外公|老头|大爷"
    r"|\b(?:man|men|boy|boys|father|dad|daddy|stepfather|uncle|brother|husband|boyfriend|grandfather|grandpa|he|him)\b"
)
#: Verbs of saying/reporting after a person: the speaker is not the subject of the later clauses.
_SPEAKER_AFTER = re.compile(
    r"^\s*(?:说|称|讲|反映|表示|告诉|报警|打电话|发现|介绍|says|said|reports|reported|told|tells)"
)

_KIND_SIGNAL, _KIND_GAP_PART, _KIND_CUE, _KIND_HARMLESS, _KIND_BODY, _KIND_AGE = range(6)
_HARMLESS_GAPPED = "\x00harmless"

_PUNCT_CLAUSE = r"[,，;；:：。!！?？\n()（）]|\.(?=\s|$)"
_PUNCT_SENTENCE = re.compile(r"[。!！?？\n;；]|\.(?=\s|$)")

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "[零一二两三四五六七八九十]"
_AGE_PATTERNS = (
    # 13岁 / 13周岁 / 约2岁 / 15岁左右
    (re.compile(r"(?<![\d.])(\d{1,2})\s*(?:周岁|岁|歲)"), "years"),
    # 十三岁 / 两岁半 / 五六岁 (a range)
    (re.compile(rf"({_CN_NUM}{{1,3}})(?:周岁|岁)"), "cn_years"),
    # 18个月 (an infant; not 孕3个月 nor 3个月前, see _plausible_months)
    (re.compile(r"(?<![\d.])(\d{1,2})\s*个月"), "months"),
    (re.compile(r"(?<![\d.])(\d{1,2})\s*-?\s*(?:years?)[\s-]*old"), "years"),
    (re.compile(r"\baged?\s+(\d{1,2})\b"), "years"),
    (re.compile(r"(?<![\d.])(\d{1,2})\s*-?\s*months?[\s-]*old"), "months"),
    (re.compile(r"\bgrade\s+(\d{1,2})\b"), "grade"),
    (re.compile(r"\byear\s+(\d{1,2})\b"), "uk_year"),
)


@dataclass(frozen=True)
class Settings:
    """Numeric knobs of the lexicon (see lexicon.json "settings")."""

    negation_window_cjk: int
    negation_window_latin: int
    gap_max_chars: int
    evidence_max_chars: int
    multiple_injury_sites_min: int
    under_age_limit: int
    min_working_age: int
    young_child_max_age: int
    gap_max_chars_latin: int = 32
    question_answer_window: int = 24
    self_harm_min_age: int = 5


@dataclass(frozen=True)
class SignalSpec:
    """How one signal's matches are judged: can they be negated, hypothetical, said of an adult."""

    name: str
    negatable: bool = True
    hypothetical_ok: bool = False
    child_subject: bool = False
    adult_subject: bool = False


@dataclass(frozen=True)
class Combo:
    """A derived signal: one signal of each group in the same clause, sentence or text."""

    signal: str
    groups: tuple[frozenset[str], ...]
    scope: str


@dataclass(frozen=True)
class _Entry:
    kind: int
    name: str
    term: str
    latin_start: bool
    latin_end: bool
    prefix: bool
    part: int = 0


class _Raw(NamedTuple):
    """One automaton match (a tuple: built for every match, so it must be cheap)."""

    start: int
    end: int
    entry: _Entry


@dataclass(frozen=True)
class Hit:
    """One match of a signal: the term, its span and the reporter's own words around it."""

    signal: str
    term: str
    start: int
    end: int
    quote: str
    clause: int
    sentence: int
    hedge: str = ""
    blocked_by: str = ""


@dataclass(frozen=True)
class Person:
    """A person named in the narrative: the word, its span, clause and role (adult, child, neutral)."""

    word: str
    start: int
    end: int
    clause: int
    role: str
    agent_marked: bool
    sentence: int = 0
    possessive: bool = False
    speaker: bool = False


@dataclass(frozen=True)
class AgeEstimate:
    """The child's age as a range (an exact age has low == high) and where it came from."""

    low: int
    high: int
    evidence: str


@dataclass(frozen=True)
class Analysis:
    """What the narrative says, as signals an engine can reason about."""

    text: str
    hits: Mapping[str, tuple[Hit, ...]]
    blocked: Mapping[str, tuple[Hit, ...]]
    age: AgeEstimate | None
    sex: str | None
    sex_evidence: str
    persons: tuple[Person, ...] = ()

    def agent(self, hit: Hit) -> Person | None:
        """The adult who most likely did what ``hit`` describes: the nearest adult named before it
        in its clause ("继父用皮带抽", "是妈妈打的"), or one named after "by"/"被" ("hit by her father")."""
        for person in self.persons:
            after = hit.end <= person.start <= hit.end + 25
            if after and person.clause == hit.clause and person.role == "adult":
                between = self.text[hit.end : person.start].lower()
                if re.search(r"\bby\b", between):
                    return person
        nearest = None
        for person in self.persons:
            before = person.clause == hit.clause and person.end <= hit.start and person.role == "adult"
            if before and (not person.possessive or nearest is None):
                nearest = person
        return nearest

    def person_after(self, hit: Hit, window: int = 12) -> Person | None:
        """The first adult named just after ``hit`` in its clause ("lives with his mum")."""
        for person in self.persons:
            if person.clause == hit.clause and hit.end <= person.start <= hit.end + window and person.role == "adult":
                return person
        return None

    def has(self, signal: str) -> bool:
        """True when the signal was found and not cancelled."""
        return signal in self.hits

    def first(self, signal: str) -> Hit | None:
        """The earliest positive hit of the signal, or None."""
        found = self.hits.get(signal)
        return found[0] if found else None


@lru_cache(maxsize=1)
def _t2s_chars() -> dict[int, str]:
    """Traditional→simplified single-character table from OpenCC's own dictionary."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            source, _, targets = line.rstrip("\n").partition("\t")
            target = targets.split(" ")[0] if targets else ""
            if len(source) == 1 and len(target) == 1:
                table[ord(source)] = target
    return table


def build_char_table(char_map: Mapping[str, str]) -> dict[int, str]:
    """One-to-one translation table: t2s, ASCII lower case, full-width folding, extra variants."""
    table = dict(_t2s_chars())
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    for source, target in char_map.items():
        table[ord(source)] = target
    return table


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


class Matcher:
    """The compiled lexicon: build once per policy, then ``analyze`` any number of narratives."""

    def __init__(self, lexicon: Mapping[str, Any]) -> None:
        """Compile ``lexicon`` (the "lexicon" section of the policy document).

        Raises ``ValueError`` naming the offending key when the section is malformed.
        """
        unknown = sorted(k for k in lexicon if k not in LEXICON_KEYS and not k.startswith("_"))
        if unknown:
            raise ValueError(f"lexicon.{unknown[0]}: unknown key")
        self.settings = _settings(lexicon)
        self.table = build_char_table(_mapping(lexicon, "char_map", "lexicon.char_map"))
        breaks = _string_list(lexicon.get("clause_break_words", []), "lexicon.clause_break_words")
        words = "|".join(
            rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
            for word in sorted((self.normalize(w) for w in breaks), key=len, reverse=True)
        )
        self._clause_re = re.compile(_PUNCT_CLAUSE + (f"|{words}" if words else ""))
        self.signals: dict[str, SignalSpec] = {}
        self.body_parts: tuple[str, ...] = ()
        self.age_words: dict[str, tuple[int, int]] = {}
        self._gapped: list[tuple[str, tuple[str, ...]]] = []
        self._automaton = ahocorasick.Automaton()
        self._compile(lexicon)
        self._harmless_gapped = frozenset(i for i, (name, _) in enumerate(self._gapped) if name == _HARMLESS_GAPPED)
        self.combos = _combos(lexicon.get("combos", []), set(self.signals))
        self.known_signals = frozenset(self.signals) | {combo.signal for combo in self.combos} | {"multiple_injuries"}

    def normalize(self, text: str) -> str:
        """Fold ``text`` for matching; the result has exactly the same length."""
        return text.translate(self.table)

    # -- compilation -------------------------------------------------------------------------

    def _add(self, term: str, entry_kind: int, name: str, where: str, part: int = 0) -> None:
        prefix = term.endswith("*")
        key = self.normalize(term.rstrip("*")).strip()
        if not key:
            raise ValueError(f"{where}: empty term")
        entry = _Entry(entry_kind, name, term, _is_latin(key[0]), _is_latin(key[-1]), prefix, part)
        if key in self._automaton:
            old_len, old_entries = self._automaton.get(key)
            self._automaton.add_word(key, (old_len, old_entries + (entry,)))
        else:
            self._automaton.add_word(key, (len(key), (entry,)))

    def _add_term(self, term: str, name: str, where: str) -> None:
        if GAP in term:
            parts = tuple(p for p in term.split(GAP))
            if len(parts) < 2 or not all(p.strip() for p in parts):
                raise ValueError(f"{where}: gapped term {term!r} needs text on both sides of '{GAP}'")
            index = len(self._gapped)
            self._gapped.append((name, tuple(self.normalize(p) for p in parts)))
            for number, part in enumerate(parts):
                self._add(part, _KIND_GAP_PART, str(index), where, number)
        else:
            self._add(term, _KIND_SIGNAL, name, where)

    def _compile(self, lexicon: Mapping[str, Any]) -> None:
        signals = _mapping(lexicon, "signals", "lexicon.signals")
        if not signals:
            raise ValueError("lexicon.signals: at least one signal is required")
        for name, spec in signals.items():
            where = f"lexicon.signals.{name}"
            if not isinstance(spec, Mapping):
                raise ValueError(f"{where}: must be an object with 'terms'")
            unknown = set(spec) - {"terms", *SIGNAL_FLAGS}
            if unknown:
                raise ValueError(f"{where}.{sorted(unknown)[0]}: unknown key")
            flags = {}
            for flag in SIGNAL_FLAGS:
                if flag in spec:
                    if not isinstance(spec[flag], bool):
                        raise ValueError(f"{where}.{flag}: must be true or false")
                    flags[flag] = spec[flag]
            self.signals[name] = SignalSpec(name, **flags)
            for term in _string_list(spec.get("terms"), f"{where}.terms"):
                self._add_term(term, name, f"{where}.terms")
        cues = _mapping(lexicon, "cues", "lexicon.cues")
        unknown_cues = sorted(set(cues) - set(CUE_KINDS))
        if unknown_cues:
            raise ValueError(f"lexicon.cues.{unknown_cues[0]}: unknown key")
        for number, cue_kind in enumerate(CUE_KINDS):
            if number >= 3 and cue_kind not in cues:
                continue
            for term in _string_list(cues.get(cue_kind), f"lexicon.cues.{cue_kind}"):
                self._add(term, _KIND_CUE, cue_kind, f"lexicon.cues.{cue_kind}")
        for term in _string_list(lexicon.get("harmless", []), "lexicon.harmless"):
            if GAP in term:
                # a gapped harmless phrase ("打…电话"): its parts, joined in _scan, hide what lies inside
                self._add_term(term, _HARMLESS_GAPPED, "lexicon.harmless")
            else:
                self._add(term, _KIND_HARMLESS, "harmless", "lexicon.harmless")
        body = _mapping(lexicon, "body_parts", "lexicon.body_parts")
        self.body_parts = tuple(body)
        for part, terms in body.items():
            for term in _string_list(terms, f"lexicon.body_parts.{part}"):
                self._add(term, _KIND_BODY, part, f"lexicon.body_parts.{part}")
        ages = _mapping(lexicon, "age_words", "lexicon.age_words")
        for word, bounds in ages.items():
            where = f"lexicon.age_words.{word}"
            if (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 17 for b in bounds)
                or bounds[0] > bounds[1]
            ):
                raise ValueError(f"{where}: must be [low, high] whole ages from 0 to 17")
            self.age_words[word.rstrip("*")] = (bounds[0], bounds[1])
            self._add(word, _KIND_AGE, word.rstrip("*"), where)
        self._automaton.make_automaton()

    # -- analysis ----------------------------------------------------------------------------

    def _scan(self, norm: str, clause_of: Any = None) -> list[_Raw]:
        raws: list[_Raw] = []
        size = len(norm)
        harmless: list[tuple[int, int]] = []
        harmless_parts: list[_Raw] = []
        gapped_harmless = self._harmless_gapped
        for end_index, (length, entries) in self._automaton.iter(norm):
            start = end_index - length + 1
            end = end_index + 1
            # every entry of one key shares its first and last characters: test the boundaries once
            first = entries[0]
            if first.latin_start and start > 0 and _is_latin(norm[start - 1]):
                continue
            after_ok = not first.latin_end or end == size or not _is_latin(norm[end])
            for entry in entries:
                if not after_ok and not entry.prefix:
                    continue
                raw = _Raw(start, end, entry)
                raws.append(raw)
                if entry.kind == _KIND_HARMLESS:
                    harmless.append((start, end))
                elif entry.kind == _KIND_GAP_PART and gapped_harmless and int(entry.name) in gapped_harmless:
                    harmless_parts.append(raw)
        if clause_of is not None and harmless_parts:
            parts: dict[int, dict[int, list[_Raw]]] = {}
            for raw in harmless_parts:
                parts.setdefault(int(raw.entry.name), {}).setdefault(raw.entry.part, []).append(raw)
            for index, by_part in parts.items():
                _, pieces = self._gapped[index]
                if len(by_part) == len(pieces):
                    for _, start, end, _ in self._join_gapped(_HARMLESS_GAPPED, pieces, by_part, clause_of, norm):
                        harmless.append((start, end))
        if harmless:
            harmless.sort()
            kept = []
            for r in raws:
                if r.entry.kind != _KIND_HARMLESS:
                    inside = False
                    for s, e in harmless:
                        if s > r.start:
                            break
                        if r.end <= e and (e - s) > (r.end - r.start):
                            inside = True
                            break
                    if inside:
                        continue
                kept.append(r)
            raws = kept
        return raws

    def analyze(self, text: str) -> Analysis:
        """Find the signals of one narrative."""
        norm = self.normalize(text)
        clause_starts = [m.end() for m in self._clause_re.finditer(norm)]
        sentence_starts = [m.end() for m in _PUNCT_SENTENCE.finditer(norm)]

        def clause_of(pos: int) -> int:
            return bisect_right(clause_starts, pos)

        def sentence_of(pos: int) -> int:
            return bisect_right(sentence_starts, pos)

        raws = self._scan(norm, clause_of)
        cues: dict[str, list[_Raw]] = {kind: [] for kind in CUE_KINDS}
        bodies: list[_Raw] = []
        age_raws: list[_Raw] = []
        found: list[tuple[str, int, int, str]] = []
        parts: dict[int, dict[int, list[_Raw]]] = {}
        for raw in raws:
            kind = raw.entry.kind
            if kind == _KIND_SIGNAL:
                found.append((raw.entry.name, raw.start, raw.end, raw.entry.term))
            elif kind == _KIND_CUE:
                cues[raw.entry.name].append(raw)
            elif kind == _KIND_GAP_PART:
                parts.setdefault(int(raw.entry.name), {}).setdefault(raw.entry.part, []).append(raw)
            elif kind == _KIND_BODY:
                bodies.append(raw)
            elif kind == _KIND_AGE:
                age_raws.append(raw)
        for index, by_part in parts.items():
            if index in self._harmless_gapped:
                continue
            name, pieces = self._gapped[index]
            if len(by_part) == len(pieces):
                found.extend(self._join_gapped(name, pieces, by_part, clause_of, norm))

        positive: dict[str, list[Hit]] = {}
        blocked: dict[str, list[Hit]] = {}
        persons = self._persons(found, clause_of, sentence_of, text, norm)
        persons_no_men = [p for p in persons if not _MALE_WORD.search(p.word.lower())]
        limit = self.settings.evidence_max_chars
        in_clause: dict[str, dict[int, list[_Raw]]] = {kind: {} for kind in cues}
        for kind, raws_of_kind in cues.items():
            for raw in raws_of_kind:
                in_clause[kind].setdefault(clause_of(raw.start), []).append(raw)
        empty: list[_Raw] = []
        for name, start, end, term in sorted(found, key=lambda f: (f[1], -f[2])):
            spec = self.signals[name]
            clause = clause_of(start)
            sentence = sentence_of(start)
            reason = ""
            if spec.negatable:
                negations = in_clause["negation"].get(clause, empty)
                breaks = in_clause["negation_break"].get(clause, empty)
                reason = self._cue_before(negations, start, norm, windowed=True, breaks=breaks)
                if not reason and GAP in term:
                    reason = _negated_inside(negations, start, end, term, norm)
                reason = reason or self._answered_no(cues, start, end, sentence, sentence_of, norm)
            if not reason and not spec.hypothetical_ok:
                reason = self._cue_before(in_clause["hypothetical"].get(clause, empty), start, norm, windowed=False)
            if not reason and spec.child_subject:
                # a pregnancy is never said of a man ("与一名19岁男子…已怀孕": the girl is pregnant)
                said_of = persons
                if name in _FEMALE_ONLY_SIGNALS:
                    said_of = persons_no_men
                elif name == "early_marriage":
                    said_of = [p for p in persons if not _PARTNER_WORD.search(p.word.lower())]
                reason = _not_child_subject(said_of, start, clause, sentence)
            if not reason and spec.adult_subject:
                reason = _not_adult_subject(persons, start, clause, sentence)
            hedge = self._cue_before(in_clause["hedge"].get(clause, empty), start, norm, windowed=False)
            hit = Hit(
                name,
                term,
                start,
                end,
                _quote(text, start, end, limit),
                clause,
                sentence,
                hedge=hedge,
                blocked_by=reason,
            )
            (blocked if reason else positive).setdefault(name, []).append(hit)

        injury_clauses = {h.clause for h in positive.get("injury", ())}
        if injury_clauses:
            # Body sites of one sentence: those of every clause with an injury, and of a clause that
            # continues a list of sites right after one ("welts on his legs, back and arms";
            # "脸还肿着，背上也紫了一大块").
            by_clause: dict[int, list[_Raw]] = {}
            for body in bodies:
                by_clause.setdefault(clause_of(body.start), []).append(body)
            sites: dict[int, set[str]] = {}
            firsts: dict[int, _Raw] = {}
            for clause, items in sorted(by_clause.items()):
                clause_start = clause_starts[clause - 1] if clause >= 1 else 0
                lead_in = norm[clause_start : min(b.start for b in items)].strip()
                continues = clause - 1 in injury_clauses and len(lead_in) <= 4
                if clause in injury_clauses or continues:
                    sentence = sentence_of(items[0].start)
                    sites.setdefault(sentence, set()).update(b.entry.name for b in items)
                    first = min(items, key=lambda b: b.start)
                    if sentence not in firsts or first.start < firsts[sentence].start:
                        firsts[sentence] = first
            for sentence, names in sorted(sites.items()):
                if len(names) >= self.settings.multiple_injury_sites_min:
                    first = firsts[sentence]
                    injuries = [h for h in positive["injury"] if h.sentence == sentence]
                    end = max(h.end for h in injuries)
                    end = max(end, first.end)
                    hit = Hit(
                        "multiple_injuries",
                        "、".join(sorted(names)),
                        first.start,
                        end,
                        _quote(text, first.start, end, limit),
                        clause_of(first.start),
                        sentence,
                    )
                    positive.setdefault("multiple_injuries", []).append(hit)
                    break

        for combo in self.combos:
            hit = _apply_combo(combo, positive, text, limit)
            if hit is not None:
                positive.setdefault(combo.signal, []).append(hit)

        sex, sex_evidence = _sex(positive, text)
        return Analysis(
            text=text,
            hits={k: tuple(v) for k, v in positive.items()},
            blocked={k: tuple(v) for k, v in blocked.items()},
            age=self._age(norm, text, age_raws),
            sex=sex,
            sex_evidence=sex_evidence,
            persons=tuple(persons),
        )

    def _join_gapped(
        self, name: str, pieces: tuple[str, ...], by_part: dict[int, list[_Raw]], clause_of: Any, norm: str
    ) -> Iterable[tuple[str, int, int, str]]:
        """Complete matches of one 'A…B' pattern: parts in order, same clause, short gaps.

        The gap allowed is ``gap_max_chars`` between Chinese parts and ``gap_max_chars_latin``
        when the gap touches an English word (English needs more characters per word).
        """
        short = self.settings.gap_max_chars
        long = self.settings.gap_max_chars_latin
        ordered = [sorted(by_part[number], key=lambda r: r.start) for number in range(len(pieces))]
        for first in ordered[0]:
            end = first.end
            clause = clause_of(first.start)
            for number in range(1, len(pieces)):
                gap = long if _is_latin(pieces[number - 1][-1]) or _is_latin(pieces[number][0]) else short
                nxt = next(
                    (r for r in ordered[number] if end <= r.start <= end + gap and clause_of(r.start) == clause),
                    None,
                )
                if nxt is None:
                    break
                end = nxt.end
            else:
                yield (name, first.start, end, GAP.join(pieces))

    def _cue_before(
        self,
        cues: list[_Raw],
        start: int,
        norm: str,
        *,
        windowed: bool,
        breaks: list[_Raw] | None = None,
    ) -> str:
        """The cue word that governs a match at ``start`` (``cues`` are those of its clause), or ''.

        A negation-break word between the cue and the match ("and", "而是", "after") ends the
        cue's scope: "she has no money and her father beats her" still describes a beating.
        """
        best = ""
        for cue in cues:
            if cue.end > start:
                continue
            if windowed:
                window = (
                    self.settings.negation_window_latin if cue.entry.latin_start else self.settings.negation_window_cjk
                )
                if start - cue.end > window:
                    continue
            if breaks and any(cue.end <= b.start and b.end <= start for b in breaks):
                continue
            best = norm[cue.start : cue.end]
        return best

    def _answered_no(
        self, cues: dict[str, list[_Raw]], start: int, end: int, sentence: int, sentence_of: Any, norm: str
    ) -> str:
        """A question answered no: "问她有没有想过伤害自己，她说没有" / "asked if he hurt himself; he said no".

        The question cue comes before the match in its sentence; the negative answer follows the
        match within ``question_answer_window`` characters (it may be in the next sentence).
        """
        answers = cues["answer_no"]
        if not answers:
            return ""
        question = next(
            (
                q
                for q in cues["question"]
                if q.end <= start and sentence_of(q.start) == sentence and start - q.end <= 30
            ),
            None,
        )
        if question is None:
            return ""
        window = self.settings.question_answer_window
        for answer in answers:
            if end <= answer.start <= end + window * (3 if answer.entry.latin_start else 1):
                asked = norm[question.start : question.end]
                return f"question '{asked}' answered '{norm[answer.start : answer.end]}'"
        return ""

    def _persons(
        self, found: list[tuple[str, int, int, str]], clause_of: Any, sentence_of: Any, text: str, norm: str
    ) -> list[Person]:
        """People (and animals or things) named in the text, in order; a longer name hides a shorter one.

        ``agent_marked`` is true when a passive or causative marker (被, 让, 由, by) comes just before
        the name: that person did something to the subject rather than being the subject.
        ``possessive`` is true when the name is followed by 的 / 's ("妈妈的安眠药"): it names an
        owner, not the subject. ``speaker`` is true when a verb of saying follows ("爸爸说…").
        """
        people = sorted(
            ((start, end, PERSON_SIGNALS[name]) for name, start, end, _ in found if name in PERSON_SIGNALS),
            key=lambda p: (p[0], -p[1]),
        )
        kept: list[Person] = []
        for start, end, role in people:
            if kept and start < kept[-1].end:
                continue
            before = norm[max(0, start - 6) : start]
            marked = any(m in before for m in ("被", "让", "由")) or before.rstrip().endswith(" by")
            after = norm[end : end + 12]
            possessive = (after.startswith(_POSSESSIVE_AFTER) and not after.startswith(("的时候", "的话"))) or (
                after.startswith("家") and not after.startswith(("家暴", "家庭暴力"))
            )
            speaker = bool(_SPEAKER_AFTER.match(after))
            kept.append(
                Person(
                    text[start:end], start, end, clause_of(start), role, marked, sentence_of(start), possessive, speaker
                )
            )
        return kept

    def _age(self, norm: str, text: str, age_raws: list[_Raw]) -> AgeEstimate | None:
        """The first age of a minor named in the text (ages of 18 or more are adults' ages)."""
        best: tuple[int, AgeEstimate] | None = None
        for pattern, unit in _AGE_PATTERNS:
            for match in pattern.finditer(norm):
                bounds = _age_bounds(match.group(1), unit)
                if (
                    bounds is None
                    or bounds[0] > 17
                    or (unit == "months" and not _plausible_months(norm, match.start(), match.end()))
                ):
                    continue
                if best is None or match.start() < best[0]:
                    quote = text[match.start() : match.end()]
                    estimate = AgeEstimate(bounds[0], min(bounds[1], 17), f"narrative: '{quote}'")
                    best = (match.start(), estimate)
        if best is not None:
            return best[1]
        if age_raws:
            first = min(age_raws, key=lambda r: r.start)
            low, high = self.age_words[first.entry.name]
            return AgeEstimate(low, high, f"narrative: '{text[first.start : first.end]}'")
        return None


def _settings(lexicon: Mapping[str, Any]) -> Settings:
    raw = _mapping(lexicon, "settings", "lexicon.settings")
    values = {}
    for key, default in OPTIONAL_SETTINGS.items():
        value = raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"lexicon.settings.{key}: must be a whole number >= 0")
        values[key] = value
    for key in SETTINGS_KEYS:
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"lexicon.settings.{key}: must be a whole number >= 0")
        values[key] = value
    unknown = set(raw) - set(SETTINGS_KEYS) - set(OPTIONAL_SETTINGS)
    if unknown:
        raise ValueError(f"lexicon.settings.{sorted(unknown)[0]}: unknown key")
    return Settings(**values)


def _mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: must be an object")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: must be a list of non-empty strings")
    return value


def _combos(raw: Any, signals: set[str]) -> tuple[Combo, ...]:
    if not isinstance(raw, list):
        raise ValueError("lexicon.combos: must be a list")
    combos: list[Combo] = []
    known = set(signals) | {"multiple_injuries"}
    for index, item in enumerate(raw):
        where = f"lexicon.combos[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("signal"), str):
            raise ValueError(f"{where}.signal: must be a string")
        if item.get("scope") not in SCOPES:
            raise ValueError(f"{where}.scope: must be one of {', '.join(SCOPES)}")
        groups = item.get("all_of")
        if not isinstance(groups, list) or not groups:
            raise ValueError(f"{where}.all_of: must be a non-empty list of signal lists")
        compiled = []
        for group in groups:
            names = _string_list(group, f"{where}.all_of")
            for name in names:
                if name not in known:
                    raise ValueError(f"{where}.all_of: unknown signal {name!r}")
            compiled.append(frozenset(names))
        combos.append(Combo(item["signal"], tuple(compiled), item["scope"]))
        known.add(item["signal"])
    return tuple(combos)


def _apply_combo(combo: Combo, positive: Mapping[str, list[Hit]], text: str, limit: int) -> Hit | None:
    """The first place where every group of ``combo`` has a positive hit, as one hit."""
    if not all(any(name in positive for name in group) for group in combo.groups):
        return None
    per_group = [[h for name in group for h in positive.get(name, ())] for group in combo.groups]
    if combo.scope == "text":
        chosen = [min(hits, key=lambda h: h.start) for hits in per_group]
    else:
        attr = combo.scope
        shared = set.intersection(*({getattr(h, attr) for h in hits} for hits in per_group))
        if not shared:
            return None
        unit = min(shared)
        chosen = [min((h for h in hits if getattr(h, attr) == unit), key=lambda h: h.start) for hits in per_group]
    start = min(h.start for h in chosen)
    end = max(h.end for h in chosen)
    if end - start <= limit:
        quote = _quote(text, start, end, limit)
    else:
        quote = " … ".join(h.quote for h in sorted(chosen, key=lambda h: h.start))
    hedge = next((h.hedge for h in chosen if h.hedge), "")
    return Hit(
        combo.signal,
        " + ".join(h.term for h in chosen),
        start,
        end,
        quote,
        chosen[0].clause,
        chosen[0].sentence,
        hedge=hedge,
    )


def _subject(persons: list[Person], start: int, clause: int, sentence: int, *, things: bool = True) -> Person | None:
    """Who a match at ``start`` is said of: the nearest person named before it in its clause, else
    (a Chinese clause often has no subject of its own) in the earlier clauses of its sentence.

    Skipped: an adult introduced by a passive marker ("被同村一名男子带走" — the agent, not the
    subject), a possessor ("妈妈的安眠药", "邻居家"), and a speaker ("医生说…": what follows is
    what was said, usually of the child).
    """
    in_clause = None
    in_sentence = None
    for person in persons:
        if person.end > start:
            break
        if (person.role == "adult" and person.agent_marked) or person.possessive or person.speaker:
            continue
        if not things and person.role == "thing":
            continue
        if person.clause == clause:
            in_clause = person
        elif person.sentence == sentence and not person.agent_marked:
            # an earlier clause's object ("妈妈让他在这等着，然后就走了") is not the later subject
            in_sentence = person
    return in_clause or in_sentence


def _not_child_subject(persons: list[Person], start: int, clause: int, sentence: int) -> str:
    """'subject: <word>' when a child_subject signal is said of an adult, an animal or a thing."""
    subject = _subject(persons, start, clause, sentence)
    if subject is not None and subject.role in NOT_CHILD_ROLES:
        return f"subject: {subject.word}"
    return ""


def _not_adult_subject(persons: list[Person], start: int, clause: int, sentence: int) -> str:
    """'subject: …' unless an adult_subject signal is said of an adult ("父母…再也没有联络")."""
    subject = _subject(persons, start, clause, sentence, things=False)
    if subject is None:
        return "subject: nobody named"
    if subject.role != "adult":
        return f"subject: {subject.word}"
    return ""


def _negated_inside(negations: list[_Raw], start: int, end: int, term: str, norm: str) -> str:
    """A negation inside the gap of an 'A…B' match ("下面没有红肿" is not "下面…红"), or ''.

    A cue that is part of the pattern's own words ("没有…收养手续") does not count.
    """
    own = norm[start:end]
    pieces = term.split(GAP)
    for cue in negations:
        if start < cue.start and cue.end <= end:
            word = norm[cue.start : cue.end]
            if not any(word in piece for piece in pieces) or own.count(word) > sum(p.count(word) for p in pieces):
                return word
    return ""


def _quote(text: str, start: int, end: int, limit: int) -> str:
    return text[start : min(end, start + limit)]


def _sex(positive: Mapping[str, list[Hit]], text: str) -> tuple[str | None, str]:
    """The child's sex from the first sex word, else from the majority of she/he pronouns."""
    words = [(h.start, -h.end, "female", h) for h in positive.get("sex_female", ())]
    words += [(h.start, -h.end, "male", h) for h in positive.get("sex_male", ())]
    if words:
        _, _, sex, hit = min(words, key=lambda w: (w[0], w[1]))
        return sex, f"narrative: '{hit.quote}'"
    she = he = 0
    for hit in positive.get("person_child", ()):
        word = text[hit.start : hit.end].lower()
        she += word in ("她", "she", "her")
        he += word in ("他", "he", "him", "his")
    if she != he:
        return ("female", "narrative pronouns 她/she") if she > he else ("male", "narrative pronouns 他/he")
    return None, ""


def _plausible_months(norm: str, start: int, end: int) -> bool:
    """False for durations that look like an infant's age: 怀孕约3个月, 3个月前, 3个月以来."""
    return "孕" not in norm[max(0, start - 5) : start] and (norm[end : end + 1] or " ") not in "前后内以了来多"


def _cn_number(text: str) -> int | None:
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10
        return value + (_CN_DIGITS.get(ones, 0) if ones else 0)
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    return None


def _age_bounds(value: str, unit: str) -> tuple[int, int] | None:
    """Age range for one regex capture."""
    if unit == "cn_years":
        if len(value) == 2 and "十" not in value and all(c in _CN_DIGITS for c in value):
            low, high = _CN_DIGITS[value[0]], _CN_DIGITS[value[1]]
            return (low, high) if low < high else None
        number = _cn_number(value)
        return None if number is None else (number, number)
    number = int(value)
    if unit == "months":
        return (number // 12, number // 12)
    if unit == "grade":
        return (number + 5, number + 6) if 1 <= number <= 12 else None
    if unit == "uk_year":
        return (number + 4, number + 5) if 1 <= number <= 13 else None
    return (number, number)
