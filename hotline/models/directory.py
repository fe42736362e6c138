"""Jurisdictions (administrative divisions) and the agencies that serve them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow


class Jurisdiction(Base):
    """A division (GB/T 2260 six-digit code, or a 9/12-digit code below county level)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # province, city, county, township, village

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[code])


class Agency(Base):
    """A responsible unit (police station, civil-affairs bureau…) of one jurisdiction."""

    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_type_jurisdiction", "agency_type", "jurisdiction_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_type: Mapped[str] = mapped_column(String(32))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    duty_phone: Mapped[str] = mapped_column(String(20))
    backup_phone: Mapped[str | None] = mapped_column(String(20))
    voice_phone: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a message to a number failed permanently (invalid, blocked): an administrator fixes it.
    bad_numbers: Mapped[list[str]] = mapped_column(default=list)

    jurisdiction: Mapped[Jurisdiction] = relationship()
