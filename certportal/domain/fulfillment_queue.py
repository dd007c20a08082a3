"""The fulfillment queue as staff work it: printed kits by status, moved along by the kits
rules (domain/kits.py: mark_sent, mark_complete), and cancelled with a refund.

Every change is written to the audit log. A cancelled kit that was paid for is refunded
through the payment provider first, once per kit (the refund's idempotency key names the
kit), then recorded as a refund transaction; a cancelled free initial kit can be claimed
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from certportal.db import database
from certportal.domain import audit, kits
from certportal.models import (
    Candidate,
    EcommerceTransaction,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
    utcnow,
)
from certportal.models.commerce import (
    LINE_CANCELLED,
    LINE_COMPLETE,
    LINE_QUEUED,
    LINE_SENT,
)

# The queue's tabs, labelled as the candidate's history labels them.
STATUSES = {status: kits.STATUS_LABELS[status]
            for status in (LINE_QUEUED, LINE_SENT, LINE_COMPLETE, LINE_CANCELLED)}
PAGE_SIZE = 50
# Kits that may still be cancelled: those not yet handed to the carrier.
CANCELLABLE = (LINE_QUEUED,)


@dataclass(frozen=True)
class QueuePage:
    status: str
    lines: list[OrderLine]
    page: int
    has_next: bool


def queue(status: str, page: int = 1, per_page: int = PAGE_SIZE) -> QueuePage:
    """Kits with a status: queued oldest first (the order they go out), the others newest."""
    status = status if status in STATUSES else LINE_QUEUED
    order = {
        LINE_QUEUED: (OrderLine.queued_on, OrderLine.id),
        LINE_SENT: (OrderLine.sent_on.desc(), OrderLine.id.desc()),
        LINE_COMPLETE: (OrderLine.completed_on.desc(), OrderLine.id.desc()),
        LINE_CANCELLED: (OrderLine.id.desc(),),
    }[status]
    page = max(page, 1)
    rows = list(
        OrderLine.select(OrderLine, FulfillmentOrder, Candidate)
        .join(FulfillmentOrder, on=OrderLine.order == FulfillmentOrder.id)
        .switch(OrderLine)
        .join(Candidate, on=OrderLine.candidate == Candidate.id)
        .where(OrderLine.status == status)
        .order_by(*order)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    return QueuePage(status, rows[:per_page], page, len(rows) > per_page)


def mark_sent(line: OrderLine, tracking_number: str, *, staff_user, today: date,
              notify=None, ip_address: str = "") -> OrderLine:
    """The kit went out: kits.mark_sent (tracking number, the candidate's email), audited."""
    with database.atomic():
        sent = kits.mark_sent(line, tracking_number, today=today, notify=notify)
        audit.record("kit_marked_sent", candidate=sent.candidate_id, staff_user=staff_user,
                     subject=f"kit {sent.verification_code}", old_value=LINE_QUEUED,
                     new_value=f"{LINE_SENT}: {sent.tracking_number}", ip_address=ip_address)
    return sent


def mark_complete(line: OrderLine, *, staff_user, today: date, notify=None,
                  ip_address: str = "") -> OrderLine:
    with database.atomic():
        done = kits.mark_complete(line, today=today, notify=notify)
        audit.record("kit_marked_complete", candidate=done.candidate_id, staff_user=staff_user,
                     subject=f"kit {done.verification_code}", old_value=LINE_SENT,
                     new_value=LINE_COMPLETE, ip_address=ip_address)
    return done


def refund_due(line: OrderLine) -> int:
    """What cancelling this kit gives back: its price, when its order was paid for."""
    order = line.order
    if order.paid_at is None or not order.payment_intent_id:
        return 0
    return line.price_cents


def cancel_line(line: OrderLine, gateway, *, reason: str, staff_user, today: date,
                notify=None, ip_address: str = "") -> int:
    """Cancel a kit not yet sent, refunding its price through the provider when it was
    paid for; returns the cents refunded. FulfillmentError when it cannot be cancelled."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise kits.FulfillmentError("Give the reason for cancelling the kit.")
    line = OrderLine.get_by_id(line.id)
    if line.status not in CANCELLABLE:
        raise kits.FulfillmentError(
            f"This kit is {STATUSES.get(line.status, line.status).lower()}: only a queued kit "
            "can be cancelled."
        )
    amount = refund_due(line)
    refund = None
    if amount:
        if gateway is None or not gateway.configured:
            raise kits.FulfillmentError(
                "Payments are not configured: this paid kit cannot be refunded now."
            )
        # Before the database changes: a refund the provider refused leaves the kit queued.
        # The reference makes a repeated attempt the same refund, never a second one.
        refund = gateway.refund(line.order.payment_intent_id,
                                reference=f"kit-{line.verification_code}",
                                amount_cents=amount)
    now = utcnow()
    with database.atomic():
        cancelled = (
            OrderLine.update(status=LINE_CANCELLED)
            .where((OrderLine.id == line.id) & (OrderLine.status.in_(CANCELLABLE)))
            .execute()
        )
        if not cancelled:
            raise kits.FulfillmentError("This kit changed meanwhile: look at it again.")
        # A free initial kit cancelled can be claimed again.
        KitEntitlement.update(claimed_at=None, order_line=None).where(
            KitEntitlement.order_line == line.id
        ).execute()
        if refund is not None:
            EcommerceTransaction.create(
                candidate=line.candidate_id, order=line.order_id, occurred_at=now,
                description=f"Refund: {kits.history_name(line)}"[:255], item_count=1,
                amount_cents=-refund.amount_cents, currency=refund.currency,
                payment_method=line.order.payment_method or "card", status="Refunded",
                reference=refund.refund_id[:64],
            )
        audit.record("kit_cancelled", candidate=line.candidate_id, staff_user=staff_user,
                     subject=f"kit {line.verification_code}", old_value=line.status,
                     new_value=LINE_CANCELLED + (f", refunded {amount} cents" if amount else ""),
                     reason=reason, ip_address=ip_address)
        line = OrderLine.get_by_id(line.id)
        if notify is not None:
            notify(line, amount)
    return amount


def order_for_slip(reference: str) -> tuple[FulfillmentOrder, list[OrderLine]] | None:
    """An order and its kits, for its packing slip; None when there is no such order."""
    order = FulfillmentOrder.get_or_none(FulfillmentOrder.reference == (reference or "").strip())
    if order is None:
        return None
    return order, kits.lines_of(order)
