"""Certificates & Plaques (guide section 7): fulfillment history, Claim & Purchase
Fulfillment (choose kits, shipping, confirm), payment, the confirmation screen.

The selection travels from page to page in the forms themselves (each kit as CODE:price, the
price the candidate saw), and every step checks it again against the offers of the moment:
nothing the browser sends chooses a price, and a step can be reloaded or repeated. The order
is written once, by the last step, in one transaction. Only the payment page loads the
provider's script, and only its Content-Security-Policy allows the provider's origin.
"""

import logging
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from certportal import notifications
from certportal.domain import addresses, kits
from certportal.web.blueprints.payments import payment_gateway
from certportal.web.htmx import is_partial_request, render_page
from certportal.web.login import candidate_required, current_candidate
from certportal.web.security import configured_limit, content_security_policy, limiter

bp = Blueprint("kits", __name__, url_prefix="/certificates-plaques")
log = logging.getLogger(__name__)

SECTION = "certificates-plaques"
ORDER_CANCELLED = "Your order was cancelled; nothing was charged."
METHOD_LABELS = {"card": ("Debit Card", "Credit Card"), "paypal": ("PayPal",)}
NEEDS_JAVASCRIPT = (
    "Paying by card needs JavaScript: the card form is the payment provider's own, so your "
    "card details go to the provider and never to us. Turn JavaScript on to pay, or pay "
    "later: your order is saved."
)


def _terms() -> kits.ShopTerms:
    return kits.ShopTerms.from_settings(current_app.config)


def _payment_method_labels() -> list[str]:
    return [label for method in current_app.config["PAYMENT_METHODS"]
            for label in METHOD_LABELS[method]]


def _read_selection(values):
    """(codes, seen prices, tracking) as a form sent them: each kit as CODE:cents."""
    codes, seen = [], {}
    for value in values.getlist("kit"):
        code, _, cents = value.partition(":")
        codes.append(code)
        seen[code] = cents
    return codes, seen, values.get("tracking") == "on"


def _selection(values) -> kits.Selection:
    codes, seen, tracking = _read_selection(values)
    terms = _terms()
    return kits.choose_kits(kits.kit_offers(current_candidate(), date.today(), terms), codes,
                            tracking, terms, seen)


def _own_order(reference: str):
    order = kits.order_of(current_candidate(), reference)
    if order is None:
        abort(404)
    return order


# -- history --------------------------------------------------------------------------------


@bp.get("/")
@candidate_required
def history():
    """Certification Fulfillment Kit History & Status: every kit sent for fulfillment."""
    candidate = current_candidate()
    return render_page(
        "kits/history.html",
        "content",
        section=SECTION,
        tab="history",
        lines=kits.fulfillment_history(candidate),
        awaiting=kits.orders_awaiting_payment(candidate),
        history_name=kits.history_name,
        status_labels=kits.STATUS_LABELS,
    )


# -- claim and purchase ---------------------------------------------------------------------


def _render_claim(status=200, error=None, values=None):
    candidate = current_candidate()
    terms = _terms()
    codes, _, tracking = _read_selection(values) if values is not None else ([], {}, False)
    return render_page(
        "kits/claim.html",
        "content",
        status=status,
        section=SECTION,
        tab="claim",
        offers=kits.kit_offers(candidate, date.today(), terms),
        chosen=set(codes),
        tracking=tracking,
        tracking_cents=terms.tracking_cents,
        currency=terms.currency,
        error=error,
        awaiting=kits.orders_awaiting_payment(candidate),
        payment_methods=_payment_method_labels(),
    )


@bp.get("/claim")
@candidate_required
def claim():
    """Claim & Purchase Fulfillment: every kit the candidate may order, at their price."""
    return _render_claim()


def _prefill(candidate) -> dict[str, str]:
    """The shipping form's values: the last order's address, else the record's."""
    values = kits.last_ship_to(candidate)
    if values:
        values["country"] = values.get("country_code") or values.get("country", "")
        return {name: values.get(name, "") for name in addresses.FIELDS}
    values = {name: getattr(candidate, name) or "" for name in addresses.FIELDS}
    values["country"] = addresses.country_code_for(candidate.country) or ""
    return values


def _render_shipping(selection, values, errors=None, status=200, submission_key=None):
    code = addresses.country_code_for(values.get("country"))
    return render_page(
        "kits/shipping.html",
        "content",
        status=status,
        section=SECTION,
        tab="claim",
        selection=selection,
        values=values,
        errors=errors or {},
        submission_key=submission_key or kits.new_submission_key(),
        countries=addresses.countries(),
        country_code=code or "",
        rules=addresses.address_rules(code) if code else None,
        roman_panel=addresses.ROMAN_PANEL,
        localized_panel=addresses.LOCALIZED_PANEL,
    )


@bp.get("/claim/shipping")
@candidate_required
def shipping():
    """The kits chosen on Claim & Purchase Fulfillment ("Purchase"): the shipping form."""
    try:
        selection = _selection(request.args)
    except kits.OrderInvalid as invalid:
        return _render_claim(422, invalid.errors["kits"], request.args)
    return _render_shipping(selection, _prefill(current_candidate()))


@bp.get("/claim/shipping/place")
@candidate_required
def place_fields():
    """The Roman panel's place fields for another country (htmx, when Country changes)."""
    if not is_partial_request():
        return redirect(url_for("kits.claim"), 303)
    values = {name: request.args.get(name, "") for name in addresses.FIELDS}
    code = addresses.country_code_for(values["country"])
    return render_page(
        "kits/shipping.html", "place_fields", values=values, errors={},
        country_code=code or "", rules=addresses.address_rules(code) if code else None,
        countries=addresses.countries(),
    )


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in addresses.FIELDS}


@bp.post("/claim/shipping")
@candidate_required
def confirm_shipping():
    """Shipping "Confirm": a free claim is placed at once; an order with a price shows its
    total on the Confirm page before anything is charged."""
    placed = kits.placed_with(current_candidate(), request.form.get("submission_key", ""))
    if placed is not None:
        return _go_to(placed)
    try:
        selection = _selection(request.form)
    except kits.OrderInvalid as invalid:
        return _render_claim(422, invalid.errors["kits"], request.form)
    values = _form_values()
    key = request.form.get("submission_key", "")
    if request.form.get("edit"):
        return _render_shipping(selection, values, submission_key=key)
    try:
        address = addresses.clean_shipping_address(values)
    except addresses.AddressInvalid as invalid:
        return _render_shipping(selection, values, invalid.errors, 422, key)
    if selection.needs_payment:
        return render_page(
            "kits/review.html", "content", section=SECTION, tab="claim", selection=selection,
            address=address, values=values, submission_key=key,
        )
    return _place(address, key)


@bp.post("/claim/order")
@candidate_required
def place_order():
    """Confirm: write the order (once), then pay for it."""
    placed = kits.placed_with(current_candidate(), request.form.get("submission_key", ""))
    if placed is not None:
        return _go_to(placed)
    try:
        _selection(request.form)
    except kits.OrderInvalid as invalid:
        return _render_claim(422, invalid.errors["kits"], request.form)
    values = _form_values()
    key = request.form.get("submission_key", "")
    try:
        address = addresses.clean_shipping_address(values)
    except addresses.AddressInvalid as invalid:
        return _render_shipping(_selection(request.form), values, invalid.errors, 422, key)
    return _place(address, key)


def _place(address, submission_key: str):
    codes, seen, tracking = _read_selection(request.form)
    try:
        order = kits.place_order(
            current_candidate(), codes=codes, seen_prices=seen, tracking=tracking,
            address=address, submission_key=submission_key, terms=_terms(),
            today=date.today(), notify=notifications.order_confirmation,
        )
    except kits.OrderInvalid as invalid:
        return _render_claim(422, invalid.errors["kits"], request.form)
    return _go_to(order)


def _go_to(order):
    """Where an order placed just now (or placed by this very form before) goes on."""
    if order.status == "awaiting_payment":
        return redirect(url_for("kits.pay", reference=order.reference), 303)
    return redirect(url_for("kits.order", reference=order.reference), 303)


# -- the order and its payment --------------------------------------------------------------


def _check(order):
    """Ask the provider about the order's open attempt; the answer, or the error to show."""
    from certportal.payments import PaymentError

    try:
        return kits.check_payment(order, payment_gateway(), today=date.today(),
                                  notify=notifications.order_confirmation), None
    except PaymentError as error:
        return None, error.user_message


@bp.get("/orders/<reference>")
@candidate_required
def order(reference: str):
    """The confirmation screen of a submitted order; where an unpaid one stands."""
    found = _own_order(reference)
    problem = None
    if found.status == "awaiting_payment" and found.payment_intent_id:
        _, problem = _check(found)
        found = _own_order(reference)
    return render_page(
        "kits/order.html", "content", section=SECTION, tab="claim", order=found,
        lines=kits.lines_of(found), problem=problem,
    )


def _render_pay(order, status=200, error=None, intent=None):
    gateway = payment_gateway()
    response = render_page(
        "kits/pay.html",
        "content",
        status=status,
        section=SECTION,
        tab="claim",
        order=order,
        lines=kits.lines_of(order),
        error=error,
        client_secret=intent.client_secret if intent is not None else "",
        publishable_key=gateway.publishable_key,
        provider_script=gateway.js_url,
        payment_methods=_payment_method_labels(),
        needs_javascript=NEEDS_JAVASCRIPT,
    )
    # The one page where the provider's script runs.
    response.headers["Content-Security-Policy"] = content_security_policy(gateway.csp_sources)
    return response


def _payer() -> str:
    """Payment attempts count per account (limits are checked before the login check, so
    an anonymous request counts per address and is then sent to log in)."""
    account = getattr(current_user, "account", None)
    return f"account:{account.id}" if account is not None else f"ip:{request.remote_addr}"


@bp.route("/orders/<reference>/pay", methods=["GET", "POST"])
@candidate_required
@limiter.limit(configured_limit("PAYMENT_RATE_LIMIT"), key_func=_payer, methods=["POST"])
def pay(reference: str):
    """Pay an order: the provider's card element; the server creates and confirms the
    payment with the payment method id the element returns."""
    from certportal.payments import PaymentDeclined, PaymentError, PaymentStatus

    found = _own_order(reference)
    if request.method == "GET":
        intent, problem = (None, None)
        if found.status == "awaiting_payment" and found.payment_intent_id:
            intent, problem = _check(found)
            found = _own_order(reference)
        if found.status != "awaiting_payment":
            return redirect(url_for("kits.order", reference=reference), 303)
        waiting = intent if intent is not None and \
            intent.status is PaymentStatus.REQUIRES_ACTION else None
        return _render_pay(found, 503 if problem else 200, problem, waiting)
    try:
        state = kits.pay(found, payment_gateway(), request.form.get("payment_method", ""),
                         today=date.today(), notify=notifications.order_confirmation)
    except kits.OrderInvalid as invalid:
        return _render_pay(found, 422, invalid.errors["payment"])
    except kits.OrderNotPayable:
        return redirect(url_for("kits.order", reference=reference), 303)
    except PaymentDeclined as declined:
        return _render_pay(_own_order(reference), 422, declined.user_message)
    except PaymentError as error:
        return _render_pay(_own_order(reference), 503, error.user_message)
    if state.status is PaymentStatus.PAID:
        return redirect(url_for("kits.order", reference=reference), 303)
    if state.status is PaymentStatus.REQUIRES_ACTION:
        return _render_pay(_own_order(reference), intent=state)
    # Still processing: the order page says so and the webhook will settle it.
    return redirect(url_for("kits.order", reference=reference), 303)


@bp.post("/orders/<reference>/pay/check")
@candidate_required
def payment_check(reference: str):
    """After the bank's check (3-D Secure) in the browser: where the payment stands."""
    from certportal.payments import DECLINED_MESSAGE, PaymentStatus

    found = _own_order(reference)
    intent, problem = _check(found)
    found = _own_order(reference)
    if found.status != "awaiting_payment":
        return redirect(url_for("kits.order", reference=reference), 303)
    if problem:
        return _render_pay(found, 503, problem)
    if intent is not None and intent.status is PaymentStatus.REQUIRES_ACTION:
        return _render_pay(found, intent=intent)
    if intent is not None and intent.status is PaymentStatus.PROCESSING:
        return redirect(url_for("kits.order", reference=reference), 303)
    return _render_pay(found, 422, DECLINED_MESSAGE)


@bp.post("/orders/<reference>/cancel")
@candidate_required
def cancel(reference: str):
    """Cancel an order awaiting payment: its free kits can be claimed again."""
    from certportal.payments import PaymentError

    found = _own_order(reference)
    try:
        cancelled = kits.cancel_order(found, payment_gateway(), today=date.today(),
                                      notify=notifications.order_confirmation)
    except kits.OrderNotPayable:
        flash("This order can no longer be cancelled.", "error")
        return redirect(url_for("kits.order", reference=reference), 303)
    except PaymentError as error:
        flash(error.user_message, "error")
        return redirect(url_for("kits.order", reference=reference), 303)
    if not cancelled:  # it turned out paid
        return redirect(url_for("kits.order", reference=reference), 303)
    flash(ORDER_CANCELLED, "success")
    return redirect(url_for("kits.claim"), 303)
