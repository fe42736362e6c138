"""Narrative analysis for the triage engine: simplified Chinese, traditional Chinese and English.

The lexicon (``triage/data/lexicon.json``) is data an administrator can extend; this module
compiles it once into a ``Matcher`` (one Aho-Corasick automaton over every term, cue and
exception) and turns a narrative into an ``Analysis``: which signals were found, where, with the
words that fired them, and which were cancelled by negation ("没有受伤"), by a hypothetical
("如果发现…") or because they were said of an adult ("母亲离家出走").

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
from typing import Any

import ahocorasick
import opencc

GAP = "…"
SCOPES = ("clause", "sentence", "text")
SIGNAL_FLAGS = ("negatable", "hypothetical_ok", "child_subject")
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
    "peer": "child",
}

_KIND_SIGNAL, _KIND_GAP_PART, _KIND_CUE, _KIND_HARMLESS, _KIND_BODY, _KIND_AGE = range(6)

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


@dataclass(frozen=True)
class SignalSpec:
    """How one signal's matches are judged: can they be negated, hypothetical, said of an adult."""

    name: str
    negatable: bool = True
    hypothetical_ok: bool = False
    child_subject: bool = False


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


@dataclass(frozen=True)
class _Raw:
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
            if person.clause == hit.clause and person.end <= hit.start and person.role == "adult":
                nearest = person
        return nearest

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
        for cue_kind in ("negation", "hedge", "hypothetical"):
            for term in _string_list(cues.get(cue_kind), f"lexicon.cues.{cue_kind}"):
                self._add(term, _KIND_CUE, cue_kind, f"lexicon.cues.{cue_kind}")
        for term in _string_list(lexicon.get("harmless", []), "lexicon.harmless"):
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

    def _scan(self, norm: str) -> list[_Raw]:
        raws: list[_Raw] = []
        size = len(norm)
        for end_index, (length, entries) in self._automaton.iter(norm):
            start = end_index - length + 1
            end = end_index + 1
            before_ok = start == 0 or not _is_latin(norm[start - 1])
            after_ok = end == size or not _is_latin(norm[end])
            for entry in entries:
                if entry.latin_start and not before_ok:
                    continue
                if entry.latin_end and not entry.prefix and not after_ok:
                    continue
                raws.append(_Raw(start, end, entry))
        harmless = [(r.start, r.end) for r in raws if r.entry.kind == _KIND_HARMLESS]
        if harmless:
            raws = [
                r
                for r in raws
                if r.entry.kind == _KIND_HARMLESS
                or not any(s <= r.start and r.end <= e and (e - s) > (r.end - r.start) for s, e in harmless)
            ]
        return raws

    def analyze(self, text: str) -> Analysis:
        """Find the signals of one narrative."""
        norm = self.normalize(text)
        clause_starts = [m.end() for m in self._clause_re.finditer(norm)]
        sentence_starts = [m.end() for m in _PUNCT_SENTENCE.finditer(norm)]
        raws = self._scan(norm)

        def clause_of(pos: int) -> int:
            return bisect_right(clause_starts, pos)

        def sentence_of(pos: int) -> int:
            return bisect_right(sentence_starts, pos)

        cues: dict[str, list[_Raw]] = {"negation": [], "hedge": [], "hypothetical": []}
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
            name, pieces = self._gapped[index]
            if len(by_part) == len(pieces):
                found.extend(self._join_gapped(name, pieces, by_part, clause_of))

        positive: dict[str, list[Hit]] = {}
        blocked: dict[str, list[Hit]] = {}
        persons = self._persons(found, clause_of, text, norm)
        limit = self.settings.evidence_max_chars
        for name, start, end, term in sorted(found, key=lambda f: (f[1], -f[2])):
            spec = self.signals[name]
            clause = clause_of(start)
            reason = ""
            if spec.negatable:
                reason = self._cue_before(cues["negation"], start, clause, clause_of, norm, windowed=True)
            if not reason and not spec.hypothetical_ok:
                reason = self._cue_before(cues["hypothetical"], start, clause, clause_of, norm, windowed=False)
            if not reason and spec.child_subject:
                reason = _adult_subject(persons, start, clause, text)
            hedge = self._cue_before(cues["hedge"], start, clause, clause_of, norm, windowed=False)
            hit = Hit(
                name,
                term,
                start,
                end,
                _quote(text, start, end, limit),
                clause,
                sentence_of(start),
                hedge=hedge,
                blocked_by=reason,
            )
            (blocked if reason else positive).setdefault(name, []).append(hit)

        injury_clauses = {h.clause for h in positive.get("injury", ())}
        if injury_clauses:
            sites: dict[int, set[str]] = {}
            for body in bodies:
                clause = clause_of(body.start)
                if clause in injury_clauses:
                    sites.setdefault(clause, set()).add(body.entry.name)
            for clause, names in sorted(sites.items()):
                if len(names) >= self.settings.multiple_injury_sites_min:
                    first = min((b for b in bodies if clause_of(b.start) == clause), key=lambda b: b.start)
                    injuries = [h for h in positive["injury"] if h.clause == clause]
                    end = max(h.end for h in injuries)
                    hit = Hit(
                        "multiple_injuries",
                        "、".join(sorted(names)),
                        first.start,
                        end,
                        _quote(text, first.start, end, limit),
                        clause,
                        sentence_of(first.start),
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
        self, name: str, pieces: tuple[str, ...], by_part: dict[int, list[_Raw]], clause_of: Any
    ) -> Iterable[tuple[str, int, int, str]]:
        """Complete matches of one 'A…B' pattern: parts in order, same clause, short gaps."""
        gap = self.settings.gap_max_chars
        for first in by_part[0]:
            end = first.end
            clause = clause_of(first.start)
            for number in range(1, len(pieces)):
                nxt = next(
                    (
                        r
                        for r in sorted(by_part[number], key=lambda r: r.start)
                        if end <= r.start <= end + gap and clause_of(r.start) == clause
                    ),
                    None,
                )
                if nxt is None:
                    break
                end = nxt.end
            else:
                yield (name, first.start, end, GAP.join(pieces))

    def _cue_before(
        self, cues: list[_Raw], start: int, clause: int, clause_of: Any, norm: str, *, windowed: bool
    ) -> str:
        """The cue word that governs a match at ``start`` (same clause, before it), or ''."""
        best = ""
        for cue in cues:
            if cue.end > start or clause_of(cue.start) != clause:
                continue
            if windowed:
                window = (
                    self.settings.negation_window_latin if cue.entry.latin_start else self.settings.negation_window_cjk
                )
                if start - cue.end > window:
                    continue
            best = norm[cue.start : cue.end]
        return best

    def _persons(self, found: list[tuple[str, int, int, str]], clause_of: Any, text: str, norm: str) -> list[Person]:
        """People named in the text, in order; a longer name hides a shorter one it overlaps.

        ``agent_marked`` is true when a passive or causative marker (被, 让, 由, by) comes just before
        the name: that person did something to the subject rather than being the subject.
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
            kept.append(Person(text[start:end], start, end, clause_of(start), role, marked))
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
    for key in SETTINGS_KEYS:
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"lexicon.settings.{key}: must be a whole number >= 0")
        values[key] = value
    unknown = set(raw) - set(SETTINGS_KEYS)
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


def _adult_subject(persons: list[Person], start: int, clause: int, text: str) -> str:
    """'subject: <word>' when the nearest person named before ``start`` in its clause is an adult.

    An adult introduced by a passive marker ("被同村一名男子带走") is the agent, not the subject,
    and is skipped.
    """
    nearest = None
    for person in persons:
        agent = person.role == "adult" and person.agent_marked
        if person.clause == clause and person.end <= start and not agent:
            nearest = person
    if nearest is not None and nearest.role == "adult":
        return f"subject: {nearest.word}"
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
        he += word in ("他", "he", "him")
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
