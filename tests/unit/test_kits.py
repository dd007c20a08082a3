"""Kit rules (guide section 7): what a candidate may order and at what price, orders written
once, exactly one claim of a free kit, payments settled once, fulfillment, earnings."""

import threading
from datetime import date, datetime, timedelta

import pytest

from certportal.db import database
from certportal.domain import kits
from certportal.domain.addresses import clean_shipping_address
from certportal.domain.certifications import recompute, recompute_many
from certportal.domain.demo import JOHN_SHIP_TO
from certportal.domain.lifecycle import add_months
from certportal.models import (
    Candidate,
    CandidateCertification,
    Certification,
    CertificationEarning,
    EcommerceTransaction,
    Exam,
    ExamResult,
    FulfillmentItem,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
    OutgoingEmail,
    ProcessedWebhookEvent,
)
from certportal.payments import IntentState, PaymentStatus, WebhookEvent

TODAY = date.today()
TERMS = kits.ShopTerms(currency="USD", tracking_cents=1000)
ADDRESS = clean_shipping_address(JOHN_SHIP_TO)


def candidate(login_id="CSCO10000000") -> Candidate:
    return Candidate.get(Candidate.login_id == login_id)


def offers(who, today=TODAY):
    return {offer.code: offer for offer in kits.kit_offers(who, today, TERMS)}


def prices(who, today=TODAY):
    return {code: offer.price_cents for code, offer in offers(who, today).items()}


def order(who, codes, *, tracking=False, key=None, seen=None, today=TODAY, notify=None):
    return kits.place_order(
        who, codes=codes, seen_prices=seen if seen is not None else prices(who, today),
        tracking=tracking, address=ADDRESS, submission_key=key or kits.new_submission_key(),
        terms=TERMS, today=today, notify=notify,
    )


def paid(order_row, amount=None, currency=None, reference=None) -> IntentState:
    return IntentState(
        intent_id=f"pi_test_{order_row.reference}", status=PaymentStatus.PAID,
        provider_status="succeeded", amount_cents=order_row.total_cents if amount is None
        else amount, currency=currency or order_row.currency,
        order_reference=reference or order_row.reference, attempt=1,
    )


def held(who, code) -> CandidateCertification:
    return CandidateCertification.get(
        (CandidateCertification.candidate == who)
        & (CandidateCertification.certification == Certification.get(Certification.code == code))
    )


def new_candidate(login_id="CSCO30000001") -> Candidate:
    return Candidate.create(login_id=login_id, program_id=login_id, email=f"{login_id}@x.example",
                            email_key=f"{login_id.lower()}@x.example", first_name="Kim",
                            last_name="Lee", last_name_key="lee", verification_consent=True)


def pass_exam(who, code, day, number):
    ExamResult.create(candidate=who, exam=Exam.get(Exam.code == code),
                      registration_number=number, grade="Pass", taken_on=day,
                      expires_on=add_months(day, 36))


# -- offers ---------------------------------------------------------------------------------


def test_offers_price_the_unclaimed_initial_kit_at_zero_and_others_from_the_catalog(db):
    johns = offers(candidate())
    assert johns["SPEC-ENCOR-CERT"].price_cents == 0 and johns["SPEC-ENCOR-CERT"].is_initial
    assert johns["CCNA-CERT"].price_cents == 1500 and not johns["CCNA-CERT"].is_initial
    assert (johns["CCIE-EI-CERT"].price_cents, johns["CCIE-EI-PLAQUE"].price_cents) == (1500, 7500)
    # CCENT and CCNA Routing and Switching have expired: they offer nothing.
    assert not {"CCENT-CERT", "CCNA-RS-CERT"} & johns.keys()
    assert prices(candidate("CSCO10000001")) == {"CCNA-CERT": 0}


def test_a_revoked_certification_offers_nothing(db):
    john = candidate()
    CandidateCertification.update(status="revoked").where(
        CandidateCertification.id == held(john, "SPEC-ENCOR").id
    ).execute()
    assert "SPEC-ENCOR-CERT" not in offers(john)
    assert not kits.free_kits_to_claim(john, TODAY)


def test_kits_priced_in_another_currency_are_not_offered(db):
    FulfillmentItem.update(currency="EUR").where(FulfillmentItem.code == "CCNA-CERT").execute()
    assert "CCNA-CERT" not in offers(candidate())


def test_home_lists_only_free_initial_kits_still_to_claim(db):
    john = candidate()
    assert [c.code for c in kits.free_kits_to_claim(john, TODAY)] == ["SPEC-ENCOR"]
    order(john, ["SPEC-ENCOR-CERT"])
    assert kits.free_kits_to_claim(john, TODAY) == []


# -- choosing -------------------------------------------------------------------------------


def test_an_empty_selection_is_refused(db):
    with pytest.raises(kits.OrderInvalid) as refused:
        kits.choose_kits(list(offers(candidate()).values()), [" "], False, TERMS, {})
    assert refused.value.errors == {"kits": "Select at least one kit to claim or purchase."}


def test_a_kit_not_offered_is_refused_without_echoing_it(db):
    john_offers = list(offers(candidate()).values())
    for code in ("CCENT-CERT", "<b>NOPE</b>", "CCNA-CERT\x00"):
        with pytest.raises(kits.OrderInvalid) as refused:
            kits.choose_kits(john_offers, [code], False, TERMS, {code: 0})
        assert "not one you can order" in refused.value.errors["kits"]
        assert "NOPE" not in refused.value.errors["kits"]


def test_a_price_that_differs_from_the_offer_is_refused_with_the_price_now(db):
    john_offers = list(offers(candidate()).values())
    for seen in ("-1500", "1499", "", "15.00", "99999"):
        with pytest.raises(kits.OrderInvalid) as refused:
            kits.choose_kits(john_offers, ["CCNA-CERT"], False, TERMS, {"CCNA-CERT": seen})
        assert "The price of CCNA Certificate is now $15.00." in refused.value.errors["kits"]
    with pytest.raises(kits.OrderInvalid) as refused:
        kits.choose_kits(john_offers, ["CCNA-CERT"], False, TERMS, {"CCNA-CERT": "0"})
    assert refused.value.errors["kits"] == (
        "Your initial CCNA Certificate has already been claimed, so it now costs $15.00. "
        "Check the prices below and select again.")


def test_the_selection_adds_the_tracking_fee_once(db):
    john_offers = list(offers(candidate()).values())
    chosen = kits.choose_kits(john_offers, ["CCIE-EI-CERT", "SPEC-ENCOR-CERT", "CCIE-EI-CERT"],
                              True, TERMS, prices(candidate()))
    assert sorted(chosen.codes) == ["CCIE-EI-CERT", "SPEC-ENCOR-CERT"]
    assert (chosen.items_cents, chosen.shipping_cents, chosen.total_cents) == (1500, 1000, 2500)
    free = kits.choose_kits(john_offers, ["SPEC-ENCOR-CERT"], False, TERMS, prices(candidate()))
    assert free.total_cents == 0 and not free.needs_payment


# -- placing orders -------------------------------------------------------------------------


def test_a_free_claim_is_submitted_at_once_with_its_transaction_and_message(db):
    john = candidate()
    told = []
    placed = order(john, ["SPEC-ENCOR-CERT"], notify=told.append)
    assert placed.status == "submitted" and placed.total_cents == 0
    assert len(placed.reference) == 16 and not placed.reference.isdigit()
    assert placed.ship_to["postal_code"] == "27601"
    [line] = kits.lines_of(placed)
    assert (line.name, line.kind, line.price_cents, line.currency) == (
        "Specialist - Enterprise Core Certificate", "Certificate", 0, "USD")
    assert line.status == "queued" and line.queued_on == TODAY and line.is_initial_claim
    assert len(line.verification_code) == 16
    transaction = EcommerceTransaction.get(EcommerceTransaction.order == placed)
    assert (transaction.description, transaction.amount_cents, transaction.payment_method,
            transaction.status) == ("Initial kit claim", 0, "none", "Completed")
    assert [o.id for o in told] == [placed.id]
    assert prices(john)["SPEC-ENCOR-CERT"] == 1500


def test_prices_are_stored_on_the_lines_as_they_were(db):
    john = candidate()
    placed = order(john, ["CCIE-EI-PLAQUE"], tracking=True)
    FulfillmentItem.update(additional_price_cents=9900).where(
        FulfillmentItem.code == "CCIE-EI-PLAQUE").execute()
    [line] = kits.lines_of(placed)
    assert (line.price_cents, placed.items_cents, placed.shipping_cents, placed.total_cents) == (
        7500, 7500, 1000, 8500)
    assert placed.status == "awaiting_payment" and line.status == "pending"
    assert line.queued_on is None
    assert not EcommerceTransaction.select().where(EcommerceTransaction.order == placed).exists()


def test_the_same_confirm_form_twice_places_one_order(db):
    john = candidate()
    key = kits.new_submission_key()
    first = order(john, ["CCNA-CERT"], key=key)
    again = order(john, ["CCNA-CERT"], key=key)
    assert again.id == first.id
    assert FulfillmentOrder.select().where(FulfillmentOrder.submission_key == key).count() == 1


def test_a_second_claim_of_the_same_free_kit_changes_nothing(db):
    john = candidate()
    seen_free = prices(john)
    order(john, ["SPEC-ENCOR-CERT"], seen=seen_free)
    counts = (FulfillmentOrder.select().count(), OrderLine.select().count(),
              EcommerceTransaction.select().count())
    with pytest.raises(kits.OrderInvalid) as refused:
        order(john, ["SPEC-ENCOR-CERT"], seen=seen_free)
    assert refused.value.errors["kits"].startswith(
        "Your initial Specialist - Enterprise Core Certificate has already been claimed, "
        "so it now costs $15.00.")
    assert counts == (FulfillmentOrder.select().count(), OrderLine.select().count(),
                      EcommerceTransaction.select().count())


def test_of_two_claims_at_the_same_moment_exactly_one_wins(db):
    """Two windows submit the free kit at once: both read it unclaimed; one order is placed."""
    mei = candidate("CSCO10000001")
    seen = prices(mei)
    barrier = threading.Barrier(2)
    results = []

    def claim():
        with database.connection_context():
            who = candidate("CSCO10000001")
            barrier.wait()
            try:
                results.append(order(who, ["CCNA-CERT"], seen=seen).reference)
            except kits.OrderInvalid as refused:
                results.append(refused)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, kits.OrderInvalid)]
    assert len(placed) == 1 and len(refused) == 1, results
    assert "already been claimed" in refused[0].errors["kits"]
    assert OrderLine.select().where(OrderLine.candidate == mei).count() == 1
    assert KitEntitlement.get(KitEntitlement.candidate == mei).claimed_at is not None


def test_a_malformed_submission_key_places_nothing(db):
    with pytest.raises(kits.OrderInvalid):
        order(candidate(), ["CCNA-CERT"], key="short")
    with pytest.raises(kits.OrderInvalid):
        order(candidate(), ["CCNA-CERT"], key="x" * 65)


def test_another_candidates_order_is_not_found(db):
    placed = order(candidate(), ["CCNA-CERT"])
    assert kits.order_of(candidate(), placed.reference).id == placed.id
    assert kits.order_of(candidate("CSCO10000001"), placed.reference) is None
    assert kits.order_of(candidate(), str(placed.id)) is None


def test_the_last_order_fills_the_shipping_form(db):
    assert kits.last_ship_to(candidate())["city"] == "Raleigh"
    assert kits.last_ship_to(candidate("CSCO10000001")) == {}


# -- paying ---------------------------------------------------------------------------------


def test_an_intent_that_does_not_pay_exactly_the_total_settles_nothing(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"], tracking=True)
    for wrong in (paid(placed, amount=7500), paid(placed, currency="EUR"),
                  paid(placed, reference="OTHERORDER000000")):
        assert not kits.settle(placed, wrong, today=TODAY)
    assert FulfillmentOrder.get_by_id(placed.id).status == "awaiting_payment"


def test_settling_twice_marks_paid_once(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"], tracking=True)
    told = []
    assert kits.settle(placed, paid(placed), today=TODAY, notify=told.append)
    assert not kits.settle(placed, paid(placed), today=TODAY, notify=told.append)
    settled = FulfillmentOrder.get_by_id(placed.id)
    assert (settled.status, settled.payment_method) == ("submitted", "card")
    assert settled.paid_at is not None and len(told) == 1
    [line] = kits.lines_of(settled)
    assert (line.status, line.queued_on) == ("queued", TODAY)
    [transaction] = EcommerceTransaction.select().where(EcommerceTransaction.order == placed)
    assert (transaction.description, transaction.amount_cents, transaction.status) == (
        "Kit purchase with trackable shipping", 8500, "Completed")


def test_a_webhook_event_is_acted_on_once(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    event = WebhookEvent(event_id="evt_1", type="payment_intent.succeeded", created=None,
                         object_type="payment_intent", object_id="pi_x", intent=paid(placed))
    assert kits.handle_payment_event(event, today=TODAY) == "paid"
    assert kits.handle_payment_event(event, today=TODAY) == "duplicate"
    assert ProcessedWebhookEvent.select().count() == 1
    assert EcommerceTransaction.select().where(EcommerceTransaction.order == placed).count() == 1
    other = WebhookEvent(event_id="evt_2", type="payment_intent.succeeded", created=None,
                         object_type="payment_intent", object_id="pi_x", intent=paid(placed))
    assert kits.handle_payment_event(other, today=TODAY) == "unchanged"


def test_a_declined_attempt_is_listed_once(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    FulfillmentOrder.update(payment_intent_id="pi_declined", payment_attempt=1).where(
        FulfillmentOrder.id == placed.id).execute()
    when = datetime(2026, 3, 4, 5, 6, 7)
    assert kits.record_decline(placed, "pi_declined", now=when)
    assert not kits.record_decline(placed, "pi_declined")
    [row] = EcommerceTransaction.select().where(EcommerceTransaction.order == placed)
    assert (row.status, row.amount_cents, row.currency) == ("Declined", 7500, "USD")
    assert (row.item_count, row.payment_method, row.reference) == (1, "card", "pi_declined")
    assert row.description == "Kit purchase" and row.occurred_at == when
    after = FulfillmentOrder.get_by_id(placed.id)
    assert (after.status, after.payment_intent_id, after.updated_at) == (
        "awaiting_payment", "", when)


def test_cancelling_an_unpaid_order_gives_its_free_kit_back(db):
    mei = candidate("CSCO10000001")
    placed = order(mei, ["CCNA-CERT"], tracking=True)
    assert placed.status == "awaiting_payment" and prices(mei)["CCNA-CERT"] == 1500
    assert kits.cancel_order(placed, gateway=None, today=TODAY)
    assert FulfillmentOrder.get_by_id(placed.id).status == "cancelled"
    assert [line.status for line in kits.lines_of(placed)] == ["cancelled"]
    assert prices(mei)["CCNA-CERT"] == 0
    with pytest.raises(kits.OrderNotPayable):
        kits.cancel_order(placed, gateway=None, today=TODAY)


class PaidMeanwhile:
    """A provider whose open attempt was paid just before the candidate cancelled."""

    def __init__(self, order_row):
        self.order_row = order_row

    def cancel_intent(self, intent_id):
        return paid(self.order_row)


def test_cancelling_an_order_paid_meanwhile_submits_it_instead(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    FulfillmentOrder.update(payment_intent_id=f"pi_test_{placed.reference}",
                            payment_attempt=1).where(FulfillmentOrder.id == placed.id).execute()
    told = []
    assert not kits.cancel_order(placed, PaidMeanwhile(placed), today=TODAY,
                                 notify=told.append)
    assert FulfillmentOrder.get_by_id(placed.id).status == "submitted"
    assert [line.status for line in kits.lines_of(placed)] == ["queued"]
    assert [row.id for row in told] == [placed.id]
    with pytest.raises(kits.OrderNotPayable, match="^submitted$"):
        kits.cancel_order(placed, None, today=TODAY)


def test_the_newest_order_fills_the_shipping_form_whatever_its_row_number(db):
    john = candidate()
    first = order(john, ["CCIE-EI-PLAQUE"])
    order(john, ["CCNA-CERT"], seen=prices(john))
    FulfillmentOrder.update(ship_to={**first.ship_to, "city": "Durham"},
                            created_at=datetime(2099, 1, 1)).where(
        FulfillmentOrder.id == first.id).execute()
    assert kits.last_ship_to(john)["city"] == "Durham"


# -- fulfillment ----------------------------------------------------------------------------


def test_a_kit_is_sent_then_complete_each_once_with_a_message(db):
    placed = order(candidate(), ["SPEC-ENCOR-CERT"])
    [line] = kits.lines_of(placed)
    told = []
    found = kits.line_by_code("-".join(line.verification_code[i:i + 4] for i in (0, 4, 8, 12))
                              .lower())
    assert found.id == line.id
    sent = kits.mark_sent(found, " 1Z999AA1 0123456784 ", today=TODAY, notify=told.append)
    assert (sent.status, sent.sent_on, sent.tracking_number) == (
        "sent", TODAY, "1Z999AA1 0123456784")
    with pytest.raises(kits.FulfillmentError, match="This kit is sent"):
        kits.mark_sent(sent, "1Z999", today=TODAY, notify=told.append)
    done = kits.mark_complete(sent, today=TODAY, notify=told.append)
    assert (done.status, done.completed_on) == ("complete", TODAY)
    assert [line.status for line in told] == ["sent", "complete"]
    assert [kits.history_name(line) for line in kits.fulfillment_history(candidate())][:1] == [
        "Specialist - Enterprise Core (Certificate)"]


def test_fulfillment_refuses_bad_input(db):
    pending = kits.lines_of(order(candidate(), ["CCIE-EI-PLAQUE"]))[0]
    with pytest.raises(kits.FulfillmentError, match="only a queued kit"):
        kits.mark_sent(pending, "1Z999AA10123456784", today=TODAY)
    queued = kits.lines_of(order(candidate(), ["SPEC-ENCOR-CERT"]))[0]
    for number in ("", "ab", "<script>", "x" * 65):
        with pytest.raises(kits.FulfillmentError, match="tracking number"):
            kits.mark_sent(queued, number, today=TODAY)
    with pytest.raises(kits.FulfillmentError, match="No kit"):
        kits.line_by_code("0000-0000-0000-0000")
    with pytest.raises(kits.FulfillmentError, match="16 letters"):
        kits.line_by_code("12")


def test_history_lists_kits_sent_for_fulfillment_newest_first(db):
    names = [(kits.history_name(line), line.status)
             for line in kits.fulfillment_history(candidate())]
    assert names == [
        ("CCIE Enterprise Infrastructure (Plaque)", "queued"),
        ("CCIE Enterprise Infrastructure (Plaque)", "sent"),
        ("CCIE Enterprise Infrastructure (Certificate)", "sent"),
        ("CCNA (Certificate)", "complete"),
    ]
    assert kits.fulfillment_history(candidate("CSCO10000001")) == []


def test_history_orders_by_queue_date_keeps_kits_cancelled_in_the_queue_not_unpaid_ones(db):
    from certportal.domain import fulfillment_queue

    john = candidate()
    claimed = order(john, ["SPEC-ENCOR-CERT"])
    [line] = kits.lines_of(claimed)
    OrderLine.update(queued_on=date(2001, 1, 1)).where(OrderLine.id == line.id).execute()
    fulfillment_queue.cancel_line(OrderLine.get_by_id(line.id), None, reason="Misprinted",
                                  staff_user=None, today=TODAY)
    unpaid = order(john, ["CCIE-EI-PLAQUE"])
    kits.cancel_order(unpaid, gateway=None, today=TODAY)
    history = kits.fulfillment_history(john)
    assert [(row.id, row.status) for row in history][-1] == (line.id, "cancelled")
    assert not [row for row in history if row.order_id == unpaid.id]
    assert len(history) == 5


# -- earnings -------------------------------------------------------------------------------


def test_earning_a_certification_brings_its_free_kit_once(db):
    kim = new_candidate()
    passed = TODAY - timedelta(days=5)
    pass_exam(kim, "200-301", passed, "VUE-KIM-1")
    recompute(kim, TODAY)
    recompute(kim, TODAY)
    [earning] = CertificationEarning.select().where(CertificationEarning.candidate == kim)
    assert (earning.earned_on, earning.kind) == (passed, "earned")
    assert prices(kim) == {"CCNA-CERT": 0}


def test_earning_again_after_expiry_brings_a_new_free_kit(db):
    kim = new_candidate()
    first = TODAY - timedelta(days=5 * 365)
    pass_exam(kim, "200-301", first, "VUE-KIM-1")
    recompute(kim, first + timedelta(days=1))
    order(kim, ["CCNA-CERT"], today=first + timedelta(days=1))
    recompute(kim, TODAY)  # expired three years after
    assert offers(kim) == {}
    again = TODAY - timedelta(days=3)
    pass_exam(kim, "200-301", again, "VUE-KIM-2")
    recompute(kim, TODAY)
    assert prices(kim) == {"CCNA-CERT": 0}
    assert CertificationEarning.select().where(CertificationEarning.candidate == kim).count() == 2


def test_recertifying_brings_no_free_kit_unless_the_catalog_says_so(db):
    kim = new_candidate()
    earned = TODAY - timedelta(days=400)
    pass_exam(kim, "200-301", earned, "VUE-KIM-1")
    recompute(kim, earned)
    order(kim, ["CCNA-CERT"], today=earned)
    pass_exam(kim, "350-401", TODAY - timedelta(days=10), "VUE-KIM-2")  # recertifies CCNA
    recompute(kim, TODAY)
    assert prices(kim)["CCNA-CERT"] == 1500

    other = new_candidate("CSCO30000002")
    FulfillmentItem.update(free_on_recertification=True).where(
        FulfillmentItem.code == "CCNA-CERT").execute()
    pass_exam(other, "200-301", earned, "VUE-OTHER-1")
    recompute(other, earned)
    order(other, ["CCNA-CERT"], today=earned)
    pass_exam(other, "350-401", TODAY - timedelta(days=10), "VUE-OTHER-2")
    recompute(other, TODAY)
    assert prices(other)["CCNA-CERT"] == 0
    kinds = [e.kind for e in CertificationEarning.select()
             .where(CertificationEarning.candidate == other).order_by(CertificationEarning.id)]
    assert kinds[:2] == ["earned", "recertified"]


def test_an_earlier_fact_moves_the_earning_instead_of_adding_one(db):
    lee = new_candidate("CSCO30000002")
    pass_exam(lee, "200-301", TODAY - timedelta(days=5), "VUE-LEE-1")
    recompute(lee, TODAY)
    kim = new_candidate()
    pass_exam(kim, "200-301", TODAY - timedelta(days=5), "VUE-KIM-1")
    recompute(kim, TODAY)
    pass_exam(kim, "200-301", TODAY - timedelta(days=20), "VUE-KIM-0")
    recompute(kim, TODAY)
    [earning] = CertificationEarning.select().where(CertificationEarning.candidate == kim)
    assert earning.earned_on == TODAY - timedelta(days=20)
    # Only Kim's earning moved: Lee's, of the same certification, keeps its day.
    [untouched] = CertificationEarning.select().where(CertificationEarning.candidate == lee)
    assert untouched.earned_on == TODAY - timedelta(days=5)


def test_candidates_recomputed_together_each_get_their_kit_and_message(app, db):
    kim, lee = new_candidate(), new_candidate("CSCO30000002")
    pass_exam(kim, "200-301", TODAY - timedelta(days=2), "VUE-KIM-1")
    pass_exam(lee, "200-301", TODAY - timedelta(days=9), "VUE-LEE-1")
    with app.app_context():
        recompute_many([kim.id, lee.id], TODAY)
        recompute_many([kim.id, lee.id], TODAY)
    for who, earned_on in ((kim, TODAY - timedelta(days=2)), (lee, TODAY - timedelta(days=9))):
        [earning] = CertificationEarning.select().where(CertificationEarning.candidate == who)
        assert (earning.earned_on, earning.kind) == (earned_on, "earned")
        assert prices(who) == {"CCNA-CERT": 0}
        [message] = OutgoingEmail.select().where(OutgoingEmail.candidate == who)
        assert message.to_address == who.email
        assert message.subject == "Congratulations on your CCNA (CCNA) certification"


def test_the_congratulations_email_is_queued_once_per_earning(app, db):
    kim = new_candidate()
    pass_exam(kim, "200-301", TODAY - timedelta(days=2), "VUE-KIM-1")
    with app.app_context():
        recompute(kim, TODAY)
        recompute(kim, TODAY)
    [message] = OutgoingEmail.select().where(OutgoingEmail.candidate == kim)
    assert message.kind == "congratulations" and message.to_address == kim.email
    assert message.subject == "Congratulations on your CCNA (CCNA) certification"
    assert "successfully completed all certification requirements for CCNA (CCNA)" in (
        message.body_text)
    assert "Claim your initial certification kit for free:" in message.body_text
    assert "CCNA Certificate: $0.00" in message.body_text
    assert "http://localhost/login" in message.body_text
    # Kim never logged in: the message points to First Time Login.
    assert "the first time, choose First Time Login: http://localhost/first-time-login" in (
        message.body_text)
    assert CertificationEarning.get(CertificationEarning.candidate == kim).congratulated_at


def test_earnings_recorded_without_the_application_are_announced_later(app, db):
    kim = new_candidate()
    pass_exam(kim, "200-301", TODAY - timedelta(days=2), "VUE-KIM-1")
    recompute(kim, TODAY)  # no application context: nothing can be rendered
    assert not OutgoingEmail.select().where(OutgoingEmail.candidate == kim).exists()
    from certportal import notifications

    with app.app_context():
        assert kits.congratulate_pending(notifications.congratulations, today=TODAY) >= 1
        assert kits.congratulate_pending(notifications.congratulations, today=TODAY) == 0
    assert OutgoingEmail.select().where(OutgoingEmail.candidate == kim).count() == 1


# -- paying through the provider (localstripe) ----------------------------------------------

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeCustomerFail"


def card(settings, number):
    from tests.unit.test_payments import card_payment_method

    return card_payment_method(settings, number)


def test_a_card_payment_settles_the_order_once(db, payment_gateway):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"], tracking=True)
    told = []
    state = kits.pay(placed, payment_gateway, VISA, today=TODAY, notify=told.append)
    assert state.status is PaymentStatus.PAID
    settled = FulfillmentOrder.get_by_id(placed.id)
    assert (settled.status, settled.payment_attempt, settled.payment_intent_id) == (
        "submitted", 1, state.intent_id)
    assert len(told) == 1
    assert kits.check_payment(settled, payment_gateway, today=TODAY) is None
    with pytest.raises(kits.OrderNotPayable):
        kits.pay(settled, payment_gateway, VISA, today=TODAY)
    assert EcommerceTransaction.select().where(EcommerceTransaction.order == placed).count() == 1


def test_a_declined_card_leaves_the_order_unpaid_and_a_new_attempt_pays(db, payment_gateway):
    from certportal.payments import PaymentDeclined

    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    with pytest.raises(PaymentDeclined):
        kits.pay(placed, payment_gateway, DECLINED, today=TODAY)
    unpaid = FulfillmentOrder.get_by_id(placed.id)
    assert (unpaid.status, unpaid.payment_intent_id) == ("awaiting_payment", "")
    second = kits.pay(unpaid, payment_gateway, VISA, today=TODAY)
    assert second.status is PaymentStatus.PAID and second.attempt == 2
    statuses = [t.status for t in EcommerceTransaction.select()
                .where(EcommerceTransaction.order == placed).order_by(EcommerceTransaction.id)]
    assert statuses == ["Declined", "Completed"]


def test_an_abandoned_3d_secure_attempt_is_cancelled_before_the_next(db, payment_gateway,
                                                                    stripe_settings):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    waiting = kits.pay(placed, payment_gateway, card(stripe_settings, "4000002500003155"),
                       today=TODAY)
    assert waiting.status is PaymentStatus.REQUIRES_ACTION and waiting.client_secret
    assert kits.check_payment(FulfillmentOrder.get_by_id(placed.id), payment_gateway,
                              today=TODAY).status is PaymentStatus.REQUIRES_ACTION
    paid_now = kits.pay(placed, payment_gateway, VISA, today=TODAY)
    assert paid_now.status is PaymentStatus.PAID
    assert payment_gateway.retrieve_intent(waiting.intent_id).provider_status == "canceled"


def test_cancelling_an_order_cancels_its_open_attempt(db, payment_gateway, stripe_settings):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    waiting = kits.pay(placed, payment_gateway, card(stripe_settings, "4000002500003155"),
                       today=TODAY)
    assert kits.cancel_order(placed, payment_gateway, today=TODAY)
    assert payment_gateway.retrieve_intent(waiting.intent_id).provider_status == "canceled"


def test_a_malformed_payment_method_is_refused_before_the_provider(db):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    for method in ("", "4242424242424242", "pm_<script>", "javascript:x"):
        with pytest.raises(kits.OrderInvalid):
            kits.pay(placed, gateway=None, payment_method=method, today=TODAY)
    assert FulfillmentOrder.get_by_id(placed.id).payment_attempt == 0


def test_the_providers_webhook_settles_an_order_once(db, payment_gateway, webhook_receiver):
    placed = order(candidate(), ["CCIE-EI-PLAQUE"])
    created = payment_gateway.create_intent(order_reference=placed.reference,
                                            amount_cents=placed.total_cents, currency="USD",
                                            payment_method=VISA)
    payment_gateway.confirm_intent(created.intent_id)  # as if the browser had confirmed it
    body, headers = webhook_receiver.wait_for("payment_intent.succeeded", created.intent_id)
    event = payment_gateway.parse_webhook(body, headers["Stripe-Signature"])
    assert kits.handle_payment_event(event, today=TODAY) == "paid"
    assert kits.handle_payment_event(event, today=TODAY) == "duplicate"
    assert FulfillmentOrder.get_by_id(placed.id).status == "submitted"
