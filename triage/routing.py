"""Routing: from the needed agency types and the report's location to real agencies.

For each type, the agency of the most specific jurisdiction containing the location wins (a
township police station before the county bureau), falling back up the administrative hierarchy.
A report with no usable location goes to the agencies of the hotline's own area, with that area's
minor-protection office added so a person confirms the jurisdiction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Agency
from hotline.taxonomy import AgencyType, AssignmentRole


def jurisdiction_chain(code: str | None) -> list[str]:
    """The division code and every division containing it, most specific first.

    GB/T 2260 codes nest by prefix: 12-digit village → 9-digit township → 6-digit county →
    city (``xxxx00``) → province (``xx0000``).
    """
    if not code or not code.isdigit() or len(code) not in (6, 9, 12):
        return []
    chain = [code]
    if len(code) == 12:
        chain.append(code[:9])
    if len(code) >= 9:
        chain.append(code[:6])
    county = code[:6]
    for parent in (county[:4] + "00", county[:2] + "0000"):
        if parent not in chain:
            chain.append(parent)
    return chain


@dataclass(frozen=True)
class RoutedAgency:
    agency: Agency
    role: AssignmentRole
    note: str


def route(
    session: Session,
    lead_type: str,
    assisting_types: Sequence[str],
    jurisdiction_code: str | None,
    home_code: str,
) -> list[RoutedAgency]:
    """Pick one agency per needed type; explain each pick in its note."""
    chain = jurisdiction_chain(jurisdiction_code)
    home_chain = jurisdiction_chain(home_code)
    wanted = [(lead_type, AssignmentRole.LEAD)] + [
        (t, AssignmentRole.ASSISTING) for t in dict.fromkeys(assisting_types) if t != lead_type
    ]
    types = {t for t, _ in wanted} | {AgencyType.MINOR_PROTECTION_OFFICE}
    agencies = session.scalars(
        select(Agency).where(
            Agency.active.is_(True),
            Agency.agency_type.in_(types),
            Agency.jurisdiction_code.in_(set(chain) | set(home_chain)),
        )
    ).all()
    by_place = {(a.agency_type, a.jurisdiction_code): a for a in sorted(agencies, key=lambda a: a.id, reverse=True)}

    def most_specific(agency_type: str, codes: list[str]) -> Agency | None:
        for code in codes:
            agency = by_place.get((agency_type, code))
            if agency is not None:
                return agency
        return None

    location_usable = bool(chain) and any(a.jurisdiction_code in chain for a in agencies)
    routed: list[RoutedAgency] = []
    for agency_type, role in wanted:
        agency = most_specific(agency_type, chain) if location_usable else None
        if agency is not None:
            note = f"{agency_type}: {agency.jurisdiction_code} (report location {jurisdiction_code})"
        else:
            agency = most_specific(agency_type, home_chain)
            reason = "no agency of this type covers the location" if location_usable else "no usable location"
            note = f"{agency_type}: {reason}; hotline area {home_code}"
        if agency is None:
            continue
        routed.append(RoutedAgency(agency, role, note))

    has_lead = any(r.role == AssignmentRole.LEAD for r in routed)
    if not location_usable or not has_lead:
        office = most_specific(AgencyType.MINOR_PROTECTION_OFFICE, home_chain)
        if office is not None and all(r.agency.id != office.id for r in routed):
            why = "no usable location: confirm the jurisdiction" if not location_usable else "no lead agency found"
            role = AssignmentRole.ASSISTING if has_lead else AssignmentRole.LEAD
            routed.append(RoutedAgency(office, role, f"minor_protection_office: {why}"))
    return routed
