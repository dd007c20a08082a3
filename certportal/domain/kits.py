"""Certificates & Plaques (guide section 7): kits a candidate may order, orders, payment,
fulfillment, and the earnings that bring the free initial kit.

Plain functions over models, no Flask. Messages are handed in as callables (`notify`,
`congratulate`) and called inside the transaction of the change they report. Payments go
through a `certportal.payments.PaymentGateway` handed in by the caller; no database
transaction is held open while the provider is asked anything.

The rules:
- Kits are offered only for certifications active today (not expired, not revoked). Each
  earning (first, again after expiry, or a recertification whose kits the catalog marks
  `free_on_recertification`) lets the candidate claim each of its kits once at the kit's
  initial price; every other copy costs the additional price. Prices come from the catalog
  at order time and are stored on the lines.
- An order is written once, in one transaction, before any payment. A free kit claimed in it
  is taken with a conditional update, so of two tabs claiming it at once exactly one wins.
- A paid order is marked paid only when the provider says this order's total was paid (a
  verified webhook or a server-side read of the intent), once, whichever says it first.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from peewee import IntegrityError

from certportal.db import database
from certportal.domain.addresses import ShippingAddress
from certportal.domain.bulk import as_date, column_in, insert_new_rows, insert_rows
from certportal.domain.certificates import CodeError, new_verification_code, normalize_code
from certportal.domain.status import is_current
from certportal.formatting import money
from certportal.models import (
    CandidateCertification,
    Certification,
    CertificationEarning,
    CertificationEvent,
    EcommerceTransaction,
    FulfillmentItem,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
    ProcessedWebhookEvent,
    certifications_of,
    random_code,
    utcnow,
)
from certportal.models.commerce import (
    LINE_CANCELLED,
    LINE_COMPLETE,
    LINE_PENDING,
    LINE_QUEUED,
    LINE_SENT,
    ORDER_AWAITING_PAYMENT,
    ORDER_CANCELLED,
    ORDER_SUBMITTED,
    PRINTED_LINE_STATUSES,
)

log = logging.getLogger(__name__)

ORDER_REFERENCE_LENGTH = 16  # 80 random bits, like every public identifier
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# What the provider's element hands back: a payment method (pm_…) or card (card_…) id.
PAYMENT_METHOD_ID = re.compile(r"^(pm|card|tok|src)_[A-Za-z0-9_]{1,200}$")
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{2,63}$")
STATUS_LABELS = {
    LINE_PENDING: "Awaiting payment",
    LINE_QUEUED: "Queued",
    LINE_SENT: "Sent",
    LINE_COMPLETE: "Complete",
    LINE_CANCELLED: "Cancelled",
}

# What an order as a whole is, in words (its kits carry their own STATUS_LABELS).
ORDER_STATUS_LABELS = {
    ORDER_AWAITING_PAYMENT: "Awaiting payment",
    ORDER_SUBMITTED: "Submitted",
    ORDER_CANCELLED: "Cancelled",
}

Notify = Callable[..., None]


# -- terms and offers -----------------------------------------------------------------------


@dataclass(frozen=True)
class ShopTerms:
    """The program's settings for kit orders (KIT_CURRENCY, KIT_TRACKING_PRICE_CENTS)."""

    currency: str = "USD"
    tracking_cents: int = 1000

    @classmethod
    def from_settings(cls, settings: Mapping) -> ShopTerms:
        return cls(
            currency=settings.get("KIT_CURRENCY", "USD"),
            tracking_cents=int(settings.get("KIT_TRACKING_PRICE_CENTS", 1000)),
        )


@dataclass(frozen=True)
class KitOffer:
    """One row of the Claim & Purchase Fulfillment table, priced for this candidate now."""

    item_id: int
    code: str  # the catalog code: what the form sends back
    name: str
    kind: str  # Certificate | Plaque | Letter
    certification_name: str
    price_cents: int
    currency: str
    initial_price_cents: int
    # The earning's right this row claims; None when it is an additional copy.
    entitlement_id: int | None = None

    @property
    def is_initial(self) -> bool:
        return self.entitlement_id is not None


def _current_entitlements(candidate, today: date) -> tuple[list, dict[tuple[int, int], int]]:
    """The certifications active today, in the program's order, and the unclaimed initial
    kits of their current earnings as {(held id, item id): entitlement id}."""
    current = [held for held in certifications_of(candidate, "active") if is_current(held, today)]
    if not current:
        return [], {}
    starts = {held.id: held.active_on for held in current}
    unclaimed = {}
    for entitlement_id, item_id, held_id, earned_on in (
        KitEntitlement.select(
            KitEntitlement.id,
            KitEntitlement.item,
            CertificationEarning.held,
            CertificationEarning.earned_on,
        )
        .join(CertificationEarning)
        .where(
            (KitEntitlement.candidate == candidate)
            & KitEntitlement.claimed_at.is_null()
            & CertificationEarning.held.in_(list(starts))
        )
        .order_by(CertificationEarning.earned_on)
        .tuples()
    ):
        # An earning of an earlier active period (before it expired and was earned again)
        # no longer gives anything.
        if earned_on >= starts[held_id]:
            unclaimed[(held_id, item_id)] = entitlement_id
    return current, unclaimed


def kit_offers(candidate, today: date, terms: ShopTerms) -> list[KitOffer]:
    """Every kit the candidate may order today, at their price, in the program's order."""
    current, unclaimed = _current_entitlements(candidate, today)
    if not current:
        return []
    items_by_certification: dict[int, list[FulfillmentItem]] = {}
    for item in (
        FulfillmentItem.select()
        .where(
            FulfillmentItem.certification.in_([held.certification_id for held in current])
            & (FulfillmentItem.currency == terms.currency)
        )
        .order_by(FulfillmentItem.id)
    ):
        items_by_certification.setdefault(item.certification_id, []).append(item)
    offers = []
    for held in current:
        for item in items_by_certification.get(held.certification_id, ()):
            entitlement_id = unclaimed.get((held.id, item.id))
            offers.append(
                KitOffer(
                    item_id=item.id,
                    code=item.code,
                    name=item.name,
                    kind=item.kind,
                    certification_name=held.certification.display_name,
                    price_cents=(
                        item.initial_price_cents
                        if entitlement_id is not None
                        else item.additional_price_cents
                    ),
                    currency=item.currency,
                    initial_price_cents=item.initial_price_cents,
                    entitlement_id=entitlement_id,
                )
            )
    return offers


def free_kits_to_claim(candidate, today: date) -> list:
    """Certifications (catalog rows) whose free initial kit is still unclaimed: Home's item."""
    current, unclaimed = _current_entitlements(candidate, today)
    if not unclaimed:
        return []
    free_items = {
        item_id
        for (item_id,) in FulfillmentItem.select(FulfillmentItem.id)
        .where(
            FulfillmentItem.id.in_([item_id for (_, item_id) in unclaimed])
            & (FulfillmentItem.initial_price_cents == 0)
        )
        .tuples()
    }
    held_with_free = {held_id for (held_id, item_id) in unclaimed if item_id in free_items}
    return [held.certification for held in current if held.id in held_with_free]


# -- choosing -------------------------------------------------------------------------------


class OrderInvalid(ValueError):
    """The order cannot be placed as asked; `errors` maps each form field to what to fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Selection:
    """The kits chosen, re-priced by the server, and the order's sums."""

    offers: tuple[KitOffer, ...]
    tracking: bool
    shipping_cents: int
    currency: str

    @property
    def items_cents(self) -> int:
        return sum(offer.price_cents for offer in self.offers)

    @property
    def total_cents(self) -> int:
        return self.items_cents + self.shipping_cents

    @property
    def needs_payment(self) -> bool:
        return self.total_cents > 0

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(offer.code for offer in self.offers)


def _cents(value) -> int | None:
    try:
        cents = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return cents if cents >= 0 else None


def choose_kits(offers: list[KitOffer], codes: Iterable[str], tracking: bool,
                terms: ShopTerms, seen_prices: Mapping[str, object]) -> Selection:
    """The kits of `codes` among `offers`, each at the price the candidate saw.

    `seen_prices` (code -> cents) are the prices the page showed. If one differs from the
    price now (a free kit claimed meanwhile in another window, a catalog change, a tampered
    form) nothing is ordered and the candidate is told the price now.
    """
    wanted = {str(code).strip() for code in codes if str(code).strip()}
    if not wanted:
        raise OrderInvalid({"kits": "Select at least one kit to claim or purchase."})
    by_code = {offer.code: offer for offer in offers}
    if wanted - by_code.keys():
        raise OrderInvalid(
            {"kits": "One of the selected kits is not one you can order. "
                     "Choose from the kits listed."}
        )
    chosen = tuple(offer for offer in offers if offer.code in wanted)
    problems = []
    for offer in chosen:
        seen = _cents(seen_prices.get(offer.code))
        if seen == offer.price_cents:
            continue
        price_now = money(offer.price_cents, offer.currency)
        if not offer.is_initial and seen == offer.initial_price_cents:
            problems.append(
                f"Your initial {offer.name} has already been claimed, so it now costs "
                f"{price_now}."
            )
        else:
            problems.append(f"The price of {offer.name} is now {price_now}.")
    if problems:
        raise OrderInvalid(
            {"kits": " ".join(problems) + " Check the prices below and select again."}
        )
    return Selection(
        offers=chosen,
        tracking=bool(tracking),
        shipping_cents=terms.tracking_cents if tracking else 0,
        currency=terms.currency,
    )


def new_submission_key() -> str:
    """The one-time key of a Confirm form: submitting it twice places one order."""
    return secrets.token_urlsafe(24)


# -- placing an order -----------------------------------------------------------------------


def _new_line_code() -> str:
    """A printed kit's verification code, unused by any certificate or kit."""
    while True:
        code = new_verification_code()
        if not (
            OrderLine.select().where(OrderLine.verification_code == code).exists()
            or CandidateCertification.select()
            .where(CandidateCertification.verification_code == code)
            .exists()
        ):
            return code


def _new_order_reference() -> str:
    while True:
        reference = random_code(ORDER_REFERENCE_LENGTH)
        if not FulfillmentOrder.select().where(FulfillmentOrder.reference == reference).exists():
            return reference


def describe(order: FulfillmentOrder, lines: list[OrderLine]) -> str:
    """The e-commerce transaction's description: "Initial kit claim", "Kit purchase"…"""
    text = "Initial kit claim" if all(line.is_initial_claim for line in lines) else "Kit purchase"
    return text + (" with trackable shipping" if order.tracking else "")


def place_order(candidate, *, codes: Iterable[str], seen_prices: Mapping[str, object],
                tracking: bool, address: ShippingAddress, submission_key: str,
                terms: ShopTerms, today: date, now: datetime | None = None,
                notify: Notify | None = None) -> FulfillmentOrder:
    """Write the order once, with its lines and claims, in one transaction.

    A free order is submitted at once (and `notify(order)` confirms it); an order with a
    total awaits payment. The same `submission_key` again gives back the order it placed.
    Raises OrderInvalid, having changed nothing.
    """
    if not SUBMISSION_KEY.match(submission_key or ""):
        raise OrderInvalid({"kits": "This form has expired. Review your order and confirm again."})
    now = now or utcnow()
    with database.atomic():
        placed = placed_with(candidate, submission_key)
        if placed is not None:
            return placed
        selection = choose_kits(kit_offers(candidate, today, terms), codes, tracking, terms,
                                seen_prices)
        free = not selection.needs_payment
        try:
            with database.atomic():
                order = FulfillmentOrder.create(
                    candidate=candidate,
                    reference=_new_order_reference(),
                    submission_key=submission_key,
                    status=ORDER_SUBMITTED if free else ORDER_AWAITING_PAYMENT,
                    tracking=selection.tracking,
                    items_cents=selection.items_cents,
                    shipping_cents=selection.shipping_cents,
                    total_cents=selection.total_cents,
                    currency=selection.currency,
                    payment_method="none" if free else "",
                    ship_to=address.as_dict(),
                    submitted_at=now if free else None,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # The same form, submitted at the same moment by a double click: its twin won.
            placed = placed_with(candidate, submission_key)
            if placed is None:
                raise
            return placed
        lines = []
        for offer in selection.offers:
            line = OrderLine.create(
                order=order,
                candidate=candidate,
                item=offer.item_id,
                name=offer.name,
                kind=offer.kind,
                price_cents=offer.price_cents,
                currency=offer.currency,
                is_initial_claim=offer.is_initial,
                verification_code=_new_line_code(),
                status=LINE_QUEUED if free else LINE_PENDING,
                queued_on=today if free else None,
                created_at=now,
            )
            lines.append(line)
            if offer.is_initial and not _claim(offer.entitlement_id, line, now):
                # Another window claimed it since this transaction read the offers.
                raise OrderInvalid(
                    {"kits": f"Your initial {offer.name} has already been claimed. "
                             "Check the prices below and select again."}
                )
        if free:
            EcommerceTransaction.create(
                candidate=candidate, order=order, occurred_at=now,
                description=describe(order, lines), item_count=len(lines), amount_cents=0,
                currency=order.currency, payment_method="none", status="Completed",
                reference=order.reference,
            )
            if notify is not None:
                notify(order)
    return order


def placed_with(candidate, submission_key: str) -> FulfillmentOrder | None:
    """The order a Confirm form already placed (the form sent again: a double click, Back)."""
    if not SUBMISSION_KEY.match(submission_key or ""):
        return None
    return FulfillmentOrder.get_or_none(
        (FulfillmentOrder.candidate == candidate)
        & (FulfillmentOrder.submission_key == submission_key)
    )


def _claim(entitlement_id: int, line: OrderLine, now: datetime) -> bool:
    """Take an unclaimed initial kit for this line; False if it was taken already."""
    return (
        KitEntitlement.update(claimed_at=now, order_line=line)
        .where((KitEntitlement.id == entitlement_id) & KitEntitlement.claimed_at.is_null())
        .execute()
        == 1
    )


# -- reading orders -------------------------------------------------------------------------


def order_of(candidate, reference: str) -> FulfillmentOrder | None:
    """The candidate's own order by its reference; None for anyone else's (answer 404)."""
    if not reference or len(reference) > ORDER_REFERENCE_LENGTH:
        return None
    return FulfillmentOrder.get_or_none(
        (FulfillmentOrder.reference == reference) & (FulfillmentOrder.candidate == candidate)
    )


def lines_of(order: FulfillmentOrder) -> list[OrderLine]:
    return list(OrderLine.select().where(OrderLine.order == order).order_by(OrderLine.id))


def orders_awaiting_payment(candidate) -> list[FulfillmentOrder]:
    return list(
        FulfillmentOrder.select()
        .where(
            (FulfillmentOrder.candidate == candidate)
            & (FulfillmentOrder.status == ORDER_AWAITING_PAYMENT)
        )
        .order_by(FulfillmentOrder.created_at.desc(), FulfillmentOrder.id.desc())
    )


def orders_with_lines(candidate) -> list[FulfillmentOrder]:
    """Every order of the candidate, newest first, unpaid and cancelled ones included, each
    with its kits in `kit_lines` (two queries): the whole record, as staff need it."""
    orders = list(
        FulfillmentOrder.select()
        .where(FulfillmentOrder.candidate == candidate)
        .order_by(FulfillmentOrder.created_at.desc(), FulfillmentOrder.id.desc())
    )
    lines: dict[int, list[OrderLine]] = {order.id: [] for order in orders}
    if orders:
        for line in (OrderLine.select().where(OrderLine.order.in_(list(lines)))
                     .order_by(OrderLine.id)):
            lines[line.order_id].append(line)
    for order in orders:
        order.kit_lines = lines[order.id]
    return orders


def last_ship_to(candidate) -> dict:
    """The address of the candidate's last order, to fill the shipping form; {} if none."""
    order = (
        FulfillmentOrder.select(FulfillmentOrder.ship_to)
        .where(FulfillmentOrder.candidate == candidate)
        .order_by(FulfillmentOrder.created_at.desc(), FulfillmentOrder.id.desc())
        .first()
    )
    return dict(order.ship_to or {}) if order else {}


def fulfillment_history(candidate) -> list[OrderLine]:
    """Every kit line sent for fulfillment, newest first: the guide's history table. A kit
    staff cancelled after it was queued stays listed as cancelled; one whose unpaid order was
    cancelled never reached fulfillment."""
    sent_for_fulfillment = OrderLine.status.in_(PRINTED_LINE_STATUSES) | (
        (OrderLine.status == LINE_CANCELLED) & OrderLine.queued_on.is_null(False)
    )
    return list(
        OrderLine.select()
        .where((OrderLine.candidate == candidate) & sent_for_fulfillment)
        .order_by(OrderLine.queued_on.desc(), OrderLine.id.desc())
    )


def history_name(line: OrderLine) -> str:
    """"CCNA (Certificate)", "4013 Recognition (Letter)": the name with its kind."""
    name = line.name
    if name.lower().endswith(" " + line.kind.lower()):
        name = name[: -len(line.kind) - 1]
    return f"{name} ({line.kind})"


# -- paying ---------------------------------------------------------------------------------


class OrderNotPayable(Exception):
    """The order is not awaiting payment (paid, cancelled), or a payment is under way."""


def settle(order: FulfillmentOrder, intent, *, today: date, now: datetime | None = None,
           notify: Notify | None = None) -> bool:
    """Mark the order paid if the provider's intent paid exactly its total; True only for
    the call that did it (a webhook and a read of the same payment settle it once)."""
    if not intent.pays(order.reference, order.total_cents, order.currency):
        log.warning("Intent %s does not pay order %s (status %s, %s %s)", intent.intent_id,
                    order.reference, intent.status, intent.amount_cents, intent.currency)
        return False
    now = now or utcnow()
    with database.atomic():
        won = (
            FulfillmentOrder.update(
                status=ORDER_SUBMITTED, submitted_at=now, paid_at=now, payment_method="card",
                payment_intent_id=intent.intent_id, updated_at=now,
            )
            .where((FulfillmentOrder.id == order.id)
                   & (FulfillmentOrder.status == ORDER_AWAITING_PAYMENT))
            .execute()
        )
        if not won:
            current = FulfillmentOrder.get_by_id(order.id)
            if current.status == ORDER_CANCELLED:
                log.error("Order %s was cancelled but intent %s paid it: refund it",
                          order.reference, intent.intent_id)
            return False
        OrderLine.update(status=LINE_QUEUED, queued_on=today).where(
            (OrderLine.order == order.id) & (OrderLine.status == LINE_PENDING)
        ).execute()
        order = FulfillmentOrder.get_by_id(order.id)
        lines = lines_of(order)
        EcommerceTransaction.create(
            candidate=order.candidate_id, order=order, occurred_at=now,
            description=describe(order, lines), item_count=len(lines),
            amount_cents=order.total_cents, currency=order.currency, payment_method="card",
            status="Completed", reference=intent.intent_id,
        )
        if notify is not None:
            notify(order)
    return True


def record_decline(order: FulfillmentOrder, intent_id: str, *,
                   now: datetime | None = None) -> bool:
    """The attempt paid by `intent_id` was declined: it is over, and listed once."""
    now = now or utcnow()
    with database.atomic():
        won = (
            FulfillmentOrder.update(payment_intent_id="", updated_at=now)
            .where((FulfillmentOrder.id == order.id)
                   & (FulfillmentOrder.payment_intent_id == intent_id)
                   & (FulfillmentOrder.status == ORDER_AWAITING_PAYMENT))
            .execute()
        )
        if won:
            lines = lines_of(order)
            EcommerceTransaction.create(
                candidate=order.candidate_id, order=order, occurred_at=now,
                description=describe(order, lines), item_count=len(lines),
                amount_cents=order.total_cents, currency=order.currency,
                payment_method="card", status="Declined", reference=intent_id,
            )
    return bool(won)


def _reload(order: FulfillmentOrder) -> FulfillmentOrder:
    return FulfillmentOrder.get_by_id(order.id)


def check_payment(order: FulfillmentOrder, gateway, *, today: date,
                  notify: Notify | None = None):
    """Ask the provider where the order's current attempt stands and settle it if paid.

    Returns the attempt's IntentState, or None when no attempt is open. Raises
    PaymentError when the provider cannot answer.
    """
    from certportal.payments import PaymentStatus

    if order.status != ORDER_AWAITING_PAYMENT or not order.payment_intent_id:
        return None
    state = gateway.retrieve_intent(order.payment_intent_id)
    if state.status is PaymentStatus.PAID:
        settle(order, state, today=today, notify=notify)
    elif state.status is PaymentStatus.FAILED:
        record_decline(order, state.intent_id)
    return state


def pay(order: FulfillmentOrder, gateway, payment_method: str, *, today: date,
        notify: Notify | None = None):
    """Charge the order's total to the payment method the provider's element returned.

    Starts a new attempt (closing the previous one first, so two can never both be paid),
    creates its intent with the attempt's idempotency key and confirms it. Returns the
    IntentState: PAID (the order is settled) or REQUIRES_ACTION (the browser finishes 3-D
    Secure). Raises OrderInvalid for a malformed payment method, OrderNotPayable, or the
    gateway's PaymentError (PaymentDeclined: the attempt is recorded as declined).
    """
    from certportal.payments import PaymentDeclined, PaymentStatus

    if not PAYMENT_METHOD_ID.match(payment_method or ""):
        raise OrderInvalid({"payment": "Enter your card details in the card field."})
    order = _reload(order)
    if order.status != ORDER_AWAITING_PAYMENT:
        raise OrderNotPayable(order.status)
    previous = order.payment_intent_id
    attempt = order.payment_attempt + 1
    # Take the attempt number: of two submissions at once, one goes on.
    if not (
        FulfillmentOrder.update(payment_attempt=attempt, updated_at=utcnow())
        .where((FulfillmentOrder.id == order.id)
               & (FulfillmentOrder.payment_attempt == order.payment_attempt)
               & (FulfillmentOrder.status == ORDER_AWAITING_PAYMENT))
        .execute()
    ):
        raise OrderNotPayable("a payment is already under way")
    if previous:
        # The order keeps naming the open attempt until it is closed, so a failure here
        # leaves it to be closed next time.
        closed = gateway.cancel_intent(previous)
        if closed.status is PaymentStatus.PAID:
            settle(order, closed, today=today, notify=notify)
            return closed
        if closed.status is PaymentStatus.PROCESSING:
            raise OrderNotPayable("the previous payment is still being processed")
    state = gateway.create_intent(
        order_reference=order.reference, amount_cents=order.total_cents,
        currency=order.currency, attempt=attempt, payment_method=payment_method,
    )
    FulfillmentOrder.update(payment_intent_id=state.intent_id).where(
        (FulfillmentOrder.id == order.id) & (FulfillmentOrder.payment_attempt == attempt)
    ).execute()
    try:
        state = gateway.confirm_intent(state.intent_id)
    except PaymentDeclined:
        record_decline(order, state.intent_id)
        raise
    if state.status is PaymentStatus.PAID:
        settle(order, state, today=today, notify=notify)
    elif state.status is PaymentStatus.FAILED:
        record_decline(order, state.intent_id)
    return state


def cancel_order(order: FulfillmentOrder, gateway, *, today: date,
                 now: datetime | None = None, notify: Notify | None = None) -> bool:
    """Cancel an order awaiting payment and free the initial kits it held.

    The open attempt is cancelled at the provider first; if it turns out paid, the order is
    settled instead and False returned. Raises OrderNotPayable when it cannot be cancelled.
    """
    from certportal.payments import PaymentStatus

    order = _reload(order)
    if order.status != ORDER_AWAITING_PAYMENT:
        raise OrderNotPayable(order.status)
    if order.payment_intent_id:
        closed = gateway.cancel_intent(order.payment_intent_id)
        if closed.status is PaymentStatus.PAID:
            settle(order, closed, today=today, notify=notify)
            return False
        if closed.status is PaymentStatus.PROCESSING:
            raise OrderNotPayable("the payment is being processed")
    now = now or utcnow()
    with database.atomic():
        won = (
            FulfillmentOrder.update(status=ORDER_CANCELLED, cancelled_at=now, updated_at=now)
            .where((FulfillmentOrder.id == order.id)
                   & (FulfillmentOrder.status == ORDER_AWAITING_PAYMENT))
            .execute()
        )
        if not won:
            raise OrderNotPayable("the order changed meanwhile")
        line_ids = [line.id for line in lines_of(order)]
        OrderLine.update(status=LINE_CANCELLED).where(OrderLine.id.in_(line_ids)).execute()
        KitEntitlement.update(claimed_at=None, order_line=None).where(
            KitEntitlement.order_line.in_(line_ids)
        ).execute()
    return True


def handle_payment_event(event, *, today: date, notify: Notify | None = None) -> str:
    """Act once on a verified provider event; what happened, for the log.

    The event's id is stored in the transaction of its effect: a delivery repeated (or
    replayed) later finds it and changes nothing.
    """
    with database.atomic():
        try:
            with database.atomic():
                ProcessedWebhookEvent.create(event_id=event.event_id, event_type=event.type[:64])
        except IntegrityError:
            return "duplicate"
        intent = event.intent
        if intent is None or not intent.order_reference:
            return "ignored"
        order = FulfillmentOrder.get_or_none(FulfillmentOrder.reference == intent.order_reference)
        if order is None:
            return "unknown order"
        if event.type == "payment_intent.succeeded":
            return "paid" if settle(order, intent, today=today, notify=notify) else "unchanged"
        if event.type == "payment_intent.payment_failed":
            return "declined" if record_decline(order, intent.intent_id) else "unchanged"
        return "ignored"


# -- fulfillment ----------------------------------------------------------------------------


class FulfillmentError(ValueError):
    """A fulfillment change that cannot be made; the message says why."""


def line_by_code(text: str) -> OrderLine:
    """An order line by its verification code as typed (dashes and case do not matter)."""
    try:
        code = normalize_code(text)
    except CodeError as error:
        raise FulfillmentError(str(error)) from None
    line = OrderLine.get_or_none(OrderLine.verification_code == code)
    if line is None:
        raise FulfillmentError(f"No kit has the verification code {text}.")
    return line


def clean_tracking_number(text: str | None) -> str:
    number = " ".join((text or "").split())
    if not TRACKING_NUMBER.match(number):
        raise FulfillmentError(
            "A tracking number has 3 to 64 letters, digits, spaces or dashes."
        )
    return number


def _move(line: OrderLine, source: str, target: str, values: dict,
          notify: Notify | None) -> OrderLine:
    with database.atomic():
        moved = (
            OrderLine.update(status=target, **values)
            .where((OrderLine.id == line.id) & (OrderLine.status == source))
            .execute()
        )
        if not moved:
            current = OrderLine.get_by_id(line.id)
            raise FulfillmentError(
                f"This kit is {STATUS_LABELS[current.status].lower()}: only a "
                f"{STATUS_LABELS[source].lower()} kit can be marked "
                f"{STATUS_LABELS[target].lower()}."
            )
        line = OrderLine.get_by_id(line.id)
        if notify is not None:
            notify(line)
    return line


def mark_sent(line: OrderLine, tracking_number: str | None, *, today: date,
              notify: Notify | None = None) -> OrderLine:
    """A queued kit went out with this tracking number; the candidate is told."""
    number = clean_tracking_number(tracking_number)
    return _move(line, LINE_QUEUED, LINE_SENT, {"sent_on": today, "tracking_number": number},
                 notify)


def mark_complete(line: OrderLine, *, today: date, notify: Notify | None = None) -> OrderLine:
    """A sent kit arrived: its fulfillment is complete; the candidate is told."""
    return _move(line, LINE_SENT, LINE_COMPLETE, {"completed_on": today}, notify)


def queued_lines(limit: int = 500) -> list[OrderLine]:
    """Kits waiting to be sent, oldest first."""
    return list(
        OrderLine.select()
        .where(OrderLine.status == LINE_QUEUED)
        .order_by(OrderLine.queued_on, OrderLine.id)
        .limit(limit)
    )


# -- earnings -------------------------------------------------------------------------------


def _earning_kind(event: CertificationEvent, held: CandidateCertification) -> str | None:
    """Whether the event starts the certification's current earning, and which kind.

    Only the current one counts: history replayed from old facts congratulates nobody for
    an earning that has since expired, and a grant that extends an active certification is
    not an earning.
    """
    if held.status != "active":
        return None
    if event.kind in ("earned", "granted") and event.occurred_on == held.active_on:
        return "earned"
    if event.kind == "recertified" and event.occurred_on == held.cycle_started_on:
        return "recertified"
    return None


def record_earnings(changes: Iterable[tuple[object, Iterable[CertificationEvent]]], *,
                    congratulate: Notify | None = None) -> list[CertificationEarning]:
    """The engine reaction, for every (candidate, events) of a recompute chunk at once: each
    new earning brings its kits at their initial price and one congratulations message,
    `congratulate(candidate, earning, items)`. Idempotent. An import reacts for thousands of
    candidates, so the whole chunk costs a few queries (the catalog's kits, the earnings
    known, one insert of the new ones and one of their kits), whatever its size.

    Without `congratulate` (no message can be rendered here) the earnings are recorded
    unannounced, for `congratulate_pending` to announce.
    """
    starts = {}  # (held id, earned on) -> (candidate, held, kind): one earning a date
    for candidate, events in changes:
        for event in events:
            held = event.candidate_certification
            kind = _earning_kind(event, held)
            if kind is not None:
                starts.setdefault((held.id, event.occurred_on), (candidate, held, kind))
    if not starts:
        return []
    kits_of = _kits_by_certification({held.certification_id for _, held, _ in starts.values()})
    wanted = []
    for (_, earned_on), (candidate, held, kind) in starts.items():
        items = _earning_items(kits_of.get(held.certification_id, []), kind)
        if kind == "recertified" and not items:
            continue  # renewing brings no new kit: nothing to claim, nothing to say here
        wanted.append((candidate, held, earned_on, kind, items))
    new = _new_earnings(wanted)
    recorded = _insert_earnings(new, announced=congratulate is not None)
    insert_rows(
        KitEntitlement,
        (KitEntitlement.earning, KitEntitlement.candidate, KitEntitlement.item,
         KitEntitlement.created_at),
        [(earning.id, earning.candidate.id, item.id, earning.created_at)
         for earning, items in recorded for item in items],
    )
    if congratulate is not None and recorded:
        # The message names the certification: read once for the chunk, not once a message.
        certifications = {
            certification.id: certification
            for certification in Certification.select().where(
                Certification.id.in_(list({earning.held.certification_id
                                           for earning, _ in recorded}))
            )
        }
        for earning, items in recorded:
            earning.held.certification = certifications[earning.held.certification_id]
            congratulate(earning.candidate, earning, items)
    return [earning for earning, _ in recorded]


def _new_earnings(wanted: list[tuple]) -> list[tuple]:
    """The wanted earnings not known yet. A known one dated later is the same earning: an
    earlier fact arrived since, and it now starts earlier (its date moves)."""
    if not wanted:
        return []
    known: dict[tuple[int, str], list] = {}
    for earning_id, held_id, kind, earned_on in (
        CertificationEarning.select(
            CertificationEarning.id, CertificationEarning.held, CertificationEarning.kind,
            CertificationEarning.earned_on,
        )
        .where(column_in(CertificationEarning.held,
                         list({held.id for _, held, _, _, _ in wanted})))
        .tuples()
    ):
        known.setdefault((held_id, kind), []).append((as_date(earned_on), earning_id))
    new = []
    for candidate, held, earned_on, kind, items in wanted:
        later = sorted(known_on for known_on in known.get((held.id, kind), ())
                       if known_on[0] >= earned_on)
        if not later:
            new.append((candidate, held, earned_on, kind, items))
        elif later[0][0] != earned_on:
            CertificationEarning.update(earned_on=earned_on).where(
                CertificationEarning.id == later[0][1]
            ).execute()
    return new


def _insert_earnings(new: list[tuple], *, announced: bool) -> list[tuple]:
    """Insert the new earnings: [(earning, its kits)] of those this transaction recorded (a
    concurrent recompute of the same candidate may have recorded one: it is left out).
    `announced`: the caller sends each its congratulations now, so they are marked sent."""
    now = utcnow()
    congratulated_at = now if announced else None
    by_key = {(held.id, earned_on): (candidate, held, kind, items)
              for candidate, held, earned_on, kind, items in new}
    recorded = []
    for earning_id, held_id, earned_on in insert_new_rows(
        CertificationEarning,
        (CertificationEarning.held, CertificationEarning.candidate,
         CertificationEarning.earned_on, CertificationEarning.kind,
         CertificationEarning.congratulated_at, CertificationEarning.created_at),
        [(held.id, candidate.id, earned_on, kind, congratulated_at, now)
         for candidate, held, earned_on, kind, _ in new],
        returning=(CertificationEarning.id, CertificationEarning.held,
                   CertificationEarning.earned_on),
    ):
        earned_on = as_date(earned_on)
        candidate, held, kind, items = by_key[(held_id, earned_on)]
        earning = CertificationEarning(
            id=earning_id, held=held, candidate=candidate, earned_on=earned_on, kind=kind,
            congratulated_at=congratulated_at, created_at=now,
        )
        recorded.append((earning, items))
    recorded.sort(key=lambda pair: pair[0].id)
    return recorded


def _kits_by_certification(certification_ids) -> dict[int, list[FulfillmentItem]]:
    """The catalog's kits of these certifications, each list in catalog order."""
    kits_of: dict[int, list[FulfillmentItem]] = {}
    for item in (FulfillmentItem.select()
                 .where(FulfillmentItem.certification.in_(list(certification_ids)))
                 .order_by(FulfillmentItem.id)):
        kits_of.setdefault(item.certification_id, []).append(item)
    return kits_of


def _earning_items(kits: list[FulfillmentItem], kind: str) -> list[FulfillmentItem]:
    """The kits an earning brings at their initial price: all of them for a certification
    earned, those the catalog marks free on recertification for a renewal."""
    if kind == "recertified":
        return [item for item in kits if item.free_on_recertification]
    return list(kits)


def _congratulate(candidate, earning, items, congratulate: Notify) -> None:
    with database.atomic():
        if (
            CertificationEarning.update(congratulated_at=utcnow())
            .where((CertificationEarning.id == earning.id)
                   & CertificationEarning.congratulated_at.is_null())
            .execute()
        ):
            congratulate(candidate, earning, items)


def congratulate_pending(congratulate: Notify, *, today: date, limit: int = 1000) -> int:
    """Announce the earnings recorded unannounced that still stand (the certification is
    active and this is its current earning); returns how many messages were queued."""
    sent = 0
    for earning in (
        CertificationEarning.select(CertificationEarning, CandidateCertification)
        .join(CandidateCertification)
        .where(CertificationEarning.congratulated_at.is_null())
        .order_by(CertificationEarning.created_at, CertificationEarning.id)
        .limit(limit)
    ):
        held = earning.held
        start = held.cycle_started_on if earning.kind == "recertified" else held.active_on
        if not is_current(held, today) or earning.earned_on != start:
            # Outdated: it expired, was revoked, or was earned again since. Never announce it.
            CertificationEarning.update(congratulated_at=utcnow()).where(
                CertificationEarning.id == earning.id
            ).execute()
            continue
        kits = _kits_by_certification([held.certification_id]).get(held.certification_id, [])
        _congratulate(earning.candidate, earning, _earning_items(kits, earning.kind),
                      congratulate)
        sent += 1
    return sent
