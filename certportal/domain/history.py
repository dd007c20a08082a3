"""Testing History: a candidate's exams, agreements, CE activities and e-commerce transactions.

Every list is one query over the candidate's own rows, read through an index that starts with
the candidate: nothing here runs a query per row.
"""

from dataclasses import dataclass
from datetime import date

from peewee import fn

from certportal.models import (
    Agreement,
    AgreementAcceptance,
    CeCredit,
    EcommerceTransaction,
    Exam,
    ExamResult,
)
from certportal.models.compiled import CONTAINS, DATE, INT, CompiledQuery

PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 100

# The sortable exam columns: sort key -> (what it orders by, whether it may be missing). Text
# sorts ignore case, so "n7dnt508" sits among the N's. Every order ends with the row id in the
# same direction, so rows with equal values always keep one order. Only the date orders are read
# straight from the (candidate, taken_on) index; the others sort the candidate's own rows (a
# handful, never the table).
EXAM_SORT_COLUMNS = {
    "code": (Exam.code, False),
    "exam": (fn.LOWER(Exam.name), False),
    "registration": (fn.LOWER(ExamResult.registration_number), False),
    "grade": (ExamResult.grade, False),
    "date": (ExamResult.taken_on, False),
    "expires": (ExamResult.expires_on, True),
}
DEFAULT_EXAM_SORT = ("date", "desc")
SORT_DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class ExamOrder:
    key: str
    direction: str

    @classmethod
    def parse(cls, key: str | None, direction: str | None) -> "ExamOrder":
        """The order asked for; an unknown key or direction falls back to the default."""
        if key not in EXAM_SORT_COLUMNS:
            return cls(*DEFAULT_EXAM_SORT)
        if direction not in SORT_DIRECTIONS:
            direction = "asc"
        return cls(key, direction)

    @property
    def is_default(self) -> bool:
        return (self.key, self.direction) == DEFAULT_EXAM_SORT

    def order_by(self):
        column, nullable = EXAM_SORT_COLUMNS[self.key]
        # A missing expiry means "Never": later than any date, on both engines. Only nullable
        # columns say so, since NULLS FIRST/LAST would keep SQLite from reading the index.
        nulls = {"nulls": "LAST" if self.direction == "asc" else "FIRST"} if nullable else {}
        if self.direction == "asc":
            return [column.asc(**nulls), ExamResult.id.asc()]
        return [column.desc(**nulls), ExamResult.id.desc()]


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    has_previous: bool
    has_next: bool


def parse_page_number(value: str | None) -> int:
    """A 1-based page number; anything else is page 1."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= 100_000 else 1


def _page_from(rows: list, number: int) -> Page:
    # One extra row says whether a next page exists, without a COUNT over the history.
    return Page(rows[:PAGE_SIZE], number, number > 1, len(rows) > PAGE_SIZE)


def _offset(number: int) -> int:
    return (number - 1) * PAGE_SIZE


def exams_query(candidate_id: int, order: ExamOrder):
    """The candidate's exam results with their exam's code and name, in the order asked."""
    return (
        ExamResult.select(
            ExamResult.id,
            ExamResult.registration_number,
            ExamResult.grade,
            ExamResult.taken_on,
            ExamResult.expires_on,
            Exam.code,
            Exam.name,
        )
        .join(Exam)
        .where(ExamResult.candidate == candidate_id)
        .order_by(*order.order_by())
        # Plain rows (code, name, registration_number, …): building joined model objects
        # cost more than the query.
        .dicts()
    )


# One compiled query per order (12 of them): the SQL text is built once per process.
_EXAM_PAGES = {
    ExamOrder(key, direction): CompiledQuery(
        lambda candidate_id, offset, order=ExamOrder(key, direction): exams_query(
            candidate_id, order
        )
        .limit(PAGE_SIZE + 1)
        .offset(offset),
        INT,
        INT,
    )
    for key in EXAM_SORT_COLUMNS
    for direction in SORT_DIRECTIONS
}


def exam_page(candidate_id: int, order: ExamOrder, number: int = 1) -> Page:
    return _page_from(_EXAM_PAGES[order](candidate_id, _offset(number)), number)


def agreements_of(candidate_id: int) -> list:
    """The certification agreements the candidate accepted, newest first."""
    return list(
        AgreementAcceptance.select(
            AgreementAcceptance.id,
            AgreementAcceptance.accepted_on,
            AgreementAcceptance.expires_on,
            Agreement.name,
            Agreement.version,
        )
        .join(Agreement)
        .where(
            (AgreementAcceptance.candidate == candidate_id)
            & (Agreement.kind == "certification")
        )
        .order_by(AgreementAcceptance.accepted_on.desc(), AgreementAcceptance.id.desc())
    )


def normalize_search(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_SEARCH_LENGTH]


def ce_activities_query(candidate_id: int, search: str = ""):
    """CE credits, newest first; `search` matches name, provider, source, import source or
    external id anywhere, ignoring case."""
    query = CeCredit.select().where(CeCredit.candidate == candidate_id)
    if search:
        query = query.where(
            CeCredit.name.contains(search)
            | CeCredit.provider_name.contains(search)
            | CeCredit.source.contains(search)
            | CeCredit.import_source.contains(search)
            | CeCredit.external_id.contains(search)
        )
    return query.order_by(CeCredit.active_on.desc(), CeCredit.id.desc()).dicts()


_CE_PAGE = CompiledQuery(
    lambda candidate_id, offset: ce_activities_query(candidate_id)
    .limit(PAGE_SIZE + 1)
    .offset(offset),
    INT,
    INT,
)
_CE_SEARCH_PAGE = CompiledQuery(
    lambda candidate_id, search, offset: ce_activities_query(candidate_id, search)
    .limit(PAGE_SIZE + 1)
    .offset(offset),
    INT,
    CONTAINS,
    INT,
)


def ce_activity_page(candidate_id: int, search: str = "", number: int = 1) -> Page:
    if search:
        rows = _CE_SEARCH_PAGE(candidate_id, search, _offset(number))
    else:
        rows = _CE_PAGE(candidate_id, _offset(number))
    return _page_from(rows, number)


_ACTIVE_CE_POINTS = CompiledQuery(
    lambda candidate_id, today: CeCredit.select(fn.COALESCE(fn.SUM(CeCredit.points), 0))
    .where(
        (CeCredit.candidate == candidate_id)
        & (CeCredit.status == "Active")
        & CeCredit.used_for.is_null()
        & (CeCredit.active_on <= today)
        & (CeCredit.inactive_on > today)
    )
    .tuples(),
    INT,
    DATE,
)


def active_ce_points(candidate_id: int, today: date) -> int:
    """Points of the credits that count today: active status, in their dates, not yet used."""
    rows = _ACTIVE_CE_POINTS(candidate_id, today)
    return int(rows[0][0] or 0) if rows else 0


def transactions_page(candidate_id: int, number: int = 1) -> Page:
    """E-commerce transactions, newest first."""
    query = (
        EcommerceTransaction.select()
        .where(EcommerceTransaction.candidate == candidate_id)
        .order_by(EcommerceTransaction.occurred_at.desc(), EcommerceTransaction.id.desc())
    )
    return _page_from(list(query.limit(PAGE_SIZE + 1).offset(_offset(number))), number)
