"""The structured fields of one plan, shaped exactly like FIELDS.md's JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LegalBasis:
    doc_type: str | None
    number: str | None
    date: str | None  # ISO
    issuer: str | None
    subject: str | None


@dataclass
class Target:
    text: str
    indicator: str | None
    value: str | None  # as printed
    deadline: str | None


@dataclass
class AwardForm:
    form: str
    awarded_to: str | None
    when: str | None


@dataclass
class Milestone:
    when: str  # as printed
    what: str
    who: str | None


@dataclass
class Section:
    number: str  # as printed: "I", "1", "1.1", "a"
    heading: str


@dataclass
class PlanFields:
    doc_type: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    place: str | None = None
    date: str | None = None  # YYYY-MM-DD, or YYYY-MM when the day is blank
    title: str | None = None
    movement: str | None = None
    period: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    recipients: list[str] = field(default_factory=list)
    legal_basis: list[LegalBasis] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    award_forms: list[AwardForm] = field(default_factory=list)
    timeline: list[Milestone] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The FIELDS.md record: same keys, same order, nested lists of plain dicts."""
        return asdict(self)
