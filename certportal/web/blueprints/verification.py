"""Public verification by code: a page for people, JSON for employers' systems."""

import hashlib
import re
from datetime import date

from flask import Blueprint, jsonify, request

from certportal.domain import certificates
from certportal.web import public_answers
from certportal.web.htmx import render_page
from certportal.web.security import configured_limit, limiter

bp = Blueprint("verification", __name__)

NOT_VERIFIABLE = (
    "This code cannot be verified. Check that it was typed as printed on the certificate, "
    "or ask the holder for a new one."
)


# One budget per client across the page, the QR link and the API: guessing codes through
# one of them does not get a fresh allowance from another.
verification_limit = limiter.shared_limit(
    configured_limit("VERIFICATION_RATE_LIMIT"), scope="verification"
)


@bp.after_request
def _not_for_search_engines(response):
    # Verification answers name people: keep them out of search indexes.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _answer(typed: str | None):
    """(status, context, tag) for a typed code: the answer, the neutral answer, or the error;
    the tag changes whenever the answer would."""
    try:
        code = certificates.normalize_code(typed)
    except certificates.CodeError as error:
        return 422, {"code_error": str(error), "typed": typed or ""}, None
    today = date.today()
    result = certificates.verify(code, today)
    tag = hashlib.sha256(repr((code, today, result)).encode()).hexdigest()[:32]
    return 200, {"result": result, "checked": True, "typed": certificates.group_code(code)}, tag


def _render(status: int, **context):
    context.setdefault("typed", "")
    return render_page(
        "verification/verify.html", "verification", status=status,
        not_verifiable=NOT_VERIFIABLE, public_page=True, **context,
    )


@bp.get("/verify")
@verification_limit
def index():
    """Verify a certification: the form, and the answer for ?code=."""
    if "code" not in request.args:
        return _render(200)
    status, context, _tag = _answer(request.args["code"])
    return _render(status, **context)


@bp.get("/verify/<code>")
@verification_limit
def by_code(code: str):
    """The page a certificate's QR code opens: the answer with the code filled in."""
    status, context, tag = _answer(code)
    if tag is not None:
        public_answers.offer(tag)
    return _render(status, **context)


def _current_answer(code: str) -> public_answers.Seen | None:
    _status, _context, tag = _answer(code)
    return None if tag is None else public_answers.Seen(tag)


public_answers.register(public_answers.PublicPage(
    path=re.compile(r"/verify/([^/]+)"),
    limit_setting="VERIFICATION_RATE_LIMIT",
    limit_scope="verification",
    current=_current_answer,
))


@bp.get("/api/v1/verifications/<code>")
@verification_limit
def api(code: str):
    """The verification answer as JSON (documented in README.md)."""
    try:
        normalized = certificates.normalize_code(code)
    except certificates.CodeError as error:
        return jsonify(verified=False, error="invalid_code", message=str(error)), 422
    result = certificates.verify(normalized, date.today())
    if result is None:
        return jsonify(verified=False, error="not_verifiable", message=NOT_VERIFIABLE), 404
    return jsonify(result.as_json())
