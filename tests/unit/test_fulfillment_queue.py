"""The fulfillment queue: kits by status, mark sent and complete (audited, emailed), cancel
with a refund through the payment provider, and packing slips."""

from datetime import date

import pytest

from certportal.domain import fulfillment_queue, kits
from certportal.models import (
    AuditEvent,
    EcommerceTransaction,
    KitEntitlement,
    OrderLine,
    StaffUser,
)
from tests.unit.test_kits import VISA, candidate, order

TODAY = date.today()


def staff(name="fulfillment"):
    return StaffUser.get(StaffUser.username == name)


def queued_line() -> OrderLine:
    return fulfillment_queue.queue("queued").lines[0]


def test_the_queue_lists_kits_by_status(db):
    queued = fulfillment_queue.queue("queued")
    assert queued.lines and all(line.status == "queued" for line in queued.lines)
    sent = fulfillment_queue.queue("sent")
    assert sent.lines and all(line.status == "sent" for line in sent.lines)
    assert fulfillment_queue.queue("nonsense").status == "queued"


def test_mark_sent_then_complete_is_audited_and_emailed(db):
    line = queued_line()
    told = []
    with pytest.raises(kits.FulfillmentError):
        fulfillment_queue.mark_sent(line, "x", staff_user=staff(), today=TODAY)
    sent = fulfillment_queue.mark_sent(line, "1Z 999 AA1", staff_user=staff(), today=TODAY,
                                       notify=told.append)
    assert (sent.status, sent.tracking_number, sent.sent_on) == ("sent", "1Z 999 AA1", TODAY)
    done = fulfillment_queue.mark_complete(sent, staff_user=staff(), today=TODAY,
                                           notify=told.append)
    assert done.status == "complete" and len(told) == 2
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.staff_user == staff())]
    assert actions == ["kit_marked_sent", "kit_marked_complete"]


class RecordingGateway:
    """Stands in for the provider where a test only needs to see the refund asked for."""

    configured = True

    def __init__(self):
        self.refunds = []

    def refund(self, intent_id, *, reference, amount_cents=None):
        from certportal.payments import RefundResult

        self.refunds.append((intent_id, reference, amount_cents))
        return RefundResult(f"re_{len(self.refunds)}", intent_id, amount_cents, "USD",
                            "succeeded")


def test_cancelling_a_paid_kit_refunds_its_price_once(db):
    line = next(line for line in fulfillment_queue.queue("queued").lines
                if fulfillment_queue.refund_due(line))
    gateway = RecordingGateway()
    told = []
    with pytest.raises(kits.FulfillmentError):
        fulfillment_queue.cancel_line(line, gateway, reason=" ", staff_user=staff(),
                                      today=TODAY)
    refunded = fulfillment_queue.cancel_line(line, gateway, reason="Out of stock",
                                             staff_user=staff(), today=TODAY,
                                             notify=lambda *args: told.append(args))
    assert refunded == line.price_cents > 0
    assert gateway.refunds == [(line.order.payment_intent_id, f"kit-{line.verification_code}",
                                line.price_cents)]
    assert OrderLine.get_by_id(line.id).status == "cancelled"
    refund = EcommerceTransaction.get(EcommerceTransaction.status == "Refunded")
    assert refund.amount_cents == -line.price_cents and refund.reference == "re_1"
    assert AuditEvent.get(AuditEvent.action == "kit_cancelled").reason == "Out of stock"
    assert len(told) == 1
    with pytest.raises(kits.FulfillmentError):
        fulfillment_queue.cancel_line(line, gateway, reason="again", staff_user=staff(),
                                      today=TODAY)
    assert len(gateway.refunds) == 1


def test_a_paid_kit_is_not_cancelled_without_a_payment_provider(db):
    line = next(line for line in fulfillment_queue.queue("queued").lines
                if fulfillment_queue.refund_due(line))
    with pytest.raises(kits.FulfillmentError, match="Payments are not configured"):
        fulfillment_queue.cancel_line(line, None, reason="x", staff_user=staff(), today=TODAY)
    assert OrderLine.get_by_id(line.id).status == "queued"


def test_cancelling_a_free_kit_lets_the_candidate_claim_it_again(db):
    free = next(line for line in OrderLine.select().where(OrderLine.is_initial_claim)
                if line.status in ("queued", "sent"))
    OrderLine.update(status="queued").where(OrderLine.id == free.id).execute()
    assert fulfillment_queue.cancel_line(free, None, reason="Wrong address",
                                         staff_user=staff(), today=TODAY) == 0
    assert not KitEntitlement.select().where(KitEntitlement.order_line == free.id).exists()


def test_a_kit_paid_through_the_provider_is_refunded_there(db, payment_gateway):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    kits.pay(placed, payment_gateway, VISA, today=TODAY)
    line = kits.lines_of(placed)[0]
    assert line.status == "queued" and fulfillment_queue.refund_due(line) == line.price_cents
    refunded = fulfillment_queue.cancel_line(line, payment_gateway, reason="Duplicate order",
                                             staff_user=staff(), today=TODAY)
    assert refunded == line.price_cents
    refund = EcommerceTransaction.get(EcommerceTransaction.status == "Refunded")
    assert refund.reference.startswith("re_")


def test_the_packing_slip_shows_both_address_forms(app, db):
    import subprocess

    from certportal.documents.packing_slip import packing_slip_pdf

    line = queued_line()
    order_row = line.order
    order_row.ship_to = {**order_row.ship_to, "localized_last_name": "王",
                         "localized_first_name": "美", "localized_city": "上海市"}
    order_row.save()
    with app.app_context():
        pdf = packing_slip_pdf(order_row, kits.lines_of(order_row))
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert order_row.ship_to["last_name"] in text and line.verification_code in text
    assert "王美" in text and "上海市" in text
