"""Testing History: exams, agreements, CE activities, e-commerce transactions (guide 4, 5)."""

from datetime import date

from flask import Blueprint, request

from certportal.domain import history
from certportal.web.htmx import render_page
from certportal.web.login import candidate_required, current_candidate

bp = Blueprint("history", __name__, url_prefix="/testing-history")


def _candidate_id() -> int:
    return current_candidate().id


@bp.get("/")
@candidate_required
def exams():
    """Exams, sortable by every column, 50 a page."""
    order = history.ExamOrder.parse(request.args.get("sort"), request.args.get("dir"))
    number = history.parse_page_number(request.args.get("page"))
    return render_page(
        "history/exams.html",
        "exam_table",
        section="testing-history",
        tab="exams",
        order=order,
        page=history.exam_page(_candidate_id(), order, number),
    )


@bp.get("/agreements")
@candidate_required
def agreements():
    """Certification agreements the candidate accepted."""
    return render_page(
        "history/agreements.html",
        "content",
        section="testing-history",
        tab="exams",
        agreements=history.agreements_of(_candidate_id()),
    )


@bp.get("/ce-activities")
@candidate_required
def ce_activities():
    """CE activities, searchable; each row expands to its import source and external id."""
    search = history.normalize_search(request.args.get("q"))
    number = history.parse_page_number(request.args.get("page"))
    candidate_id = _candidate_id()
    return render_page(
        "history/ce_activities.html",
        "ce_results",
        section="testing-history",
        tab="ce-activities",
        search=search,
        page=history.ce_activity_page(candidate_id, search, number),
        active_points=history.active_ce_points(candidate_id, date.today()),
    )


@bp.get("/transactions")
@candidate_required
def transactions():
    """E-commerce transactions: kit claims and purchases."""
    number = history.parse_page_number(request.args.get("page"))
    return render_page(
        "history/transactions.html",
        "content",
        section="testing-history",
        tab="transactions",
        page=history.transactions_page(_candidate_id(), number),
    )
