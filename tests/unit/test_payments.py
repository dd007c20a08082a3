"""The Stripe gateway against localstripe: pay, decline, retry, idempotency, webhooks, refunds."""

import hashlib
import hmac
import json
import logging
import socket
import time

import pytest
import stripe

from certportal.payments import (
    DECLINED_MESSAGE,
    UNAVAILABLE_MESSAGE,
    PaymentDeclined,
    PaymentGateway,
    PaymentRejected,
    PaymentStatus,
    PaymentUnavailable,
    WebhookRejected,
    intent_idempotency_key,
)

VISA = "4242424242424242"
# Stripe's "attaches, then every charge is declined" card; localstripe declines it on charge.
DECLINED_ON_CHARGE = "4000000000000341"
NEEDS_3D_SECURE = "4000002500003155"


def card_payment_method(settings, number: str) -> str:
    """What the provider's card element does in the browser: card details in, an id out."""
    client = stripe.StripeClient(settings["STRIPE_API_KEY"],
                                 base_addresses={"api": settings["STRIPE_API_BASE"]})
    method = client.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })
    return method.id


def all_intents(settings) -> list:
    client = stripe.StripeClient(settings["STRIPE_API_KEY"],
                                 base_addresses={"api": settings["STRIPE_API_BASE"]})
    return list(client.v1.payment_intents.list().data)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_card_payment_confirmed_on_the_server_is_paid(payment_gateway, stripe_settings):
    visa = card_payment_method(stripe_settings, VISA)

    created = payment_gateway.create_intent(order_reference="ORD-A1", amount_cents=1500,
                                            currency="USD", payment_method=visa)
    assert created.status is PaymentStatus.UNPAID
    assert (created.amount_cents, created.currency) == (1500, "USD")

    confirmed = payment_gateway.confirm_intent(created.intent_id)
    assert confirmed.status is PaymentStatus.PAID

    retrieved = payment_gateway.retrieve_intent(created.intent_id)
    assert retrieved.status is PaymentStatus.PAID
    assert (retrieved.order_reference, retrieved.attempt) == ("ORD-A1", 1)
    assert retrieved.pays("ORD-A1", 1500, "usd")
    assert not retrieved.pays("ORD-A1", 1400, "USD")
    assert not retrieved.pays("ORD-OTHER", 1500, "USD")


def test_a_declined_card_fails_charges_nothing_and_a_new_attempt_can_pay(
        payment_gateway, stripe_settings, caplog):
    caplog.set_level(logging.DEBUG)
    declined_card = card_payment_method(stripe_settings, DECLINED_ON_CHARGE)
    first = payment_gateway.create_intent(order_reference="ORD-D1", amount_cents=1500,
                                          currency="USD", payment_method=declined_card)

    with pytest.raises(PaymentDeclined) as declined:
        payment_gateway.confirm_intent(first.intent_id)
    assert declined.value.user_message == DECLINED_MESSAGE
    assert "order is saved" in declined.value.user_message

    failed = payment_gateway.retrieve_intent(first.intent_id)
    assert failed.status is PaymentStatus.FAILED and failed.retryable
    assert failed.failure_message == "Your card was declined."

    visa = card_payment_method(stripe_settings, VISA)
    second = payment_gateway.create_intent(order_reference="ORD-D1", amount_cents=1500,
                                           currency="USD", attempt=2, payment_method=visa)
    assert second.intent_id != first.intent_id
    assert payment_gateway.confirm_intent(second.intent_id).status is PaymentStatus.PAID
    assert payment_gateway.retrieve_intent(first.intent_id).status is PaymentStatus.FAILED
    # The logs say what happened without any card number.
    assert "declined" in caplog.text.lower()
    assert DECLINED_ON_CHARGE not in caplog.text and VISA not in caplog.text


def test_the_same_attempt_twice_gives_one_intent(payment_gateway, stripe_settings):
    visa = card_payment_method(stripe_settings, VISA)
    request = {"order_reference": "ORD-I1", "amount_cents": 2500, "currency": "USD",
               "payment_method": visa}

    first = payment_gateway.create_intent(**request)
    again = payment_gateway.create_intent(**request)  # a double-click, or a retried request

    assert again.intent_id == first.intent_id
    assert [intent.id for intent in all_intents(stripe_settings)] == [first.intent_id]
    # Confirming twice charges once: the second answer is the first one replayed.
    assert payment_gateway.confirm_intent(first.intent_id).status is PaymentStatus.PAID
    assert payment_gateway.confirm_intent(first.intent_id).status is PaymentStatus.PAID
    assert intent_idempotency_key("ORD-I1", 1) != intent_idempotency_key("ORD-I1", 2)


def test_the_same_attempt_with_another_amount_is_refused_not_charged(payment_gateway):
    payment_gateway.create_intent(order_reference="ORD-I2", amount_cents=2500, currency="USD")

    with pytest.raises(PaymentRejected) as refused:
        payment_gateway.create_intent(order_reference="ORD-I2", amount_cents=100, currency="USD")
    assert refused.value.user_message == UNAVAILABLE_MESSAGE


def test_a_card_needing_3d_secure_waits_for_the_candidate(payment_gateway, stripe_settings):
    card = card_payment_method(stripe_settings, NEEDS_3D_SECURE)
    intent = payment_gateway.create_intent(order_reference="ORD-3DS", amount_cents=900,
                                           currency="EUR", payment_method=card)

    waiting = payment_gateway.confirm_intent(intent.intent_id)

    assert waiting.status is PaymentStatus.REQUIRES_ACTION
    assert waiting.client_secret.startswith(intent.intent_id)
    assert waiting.client_secret not in repr(waiting)
    assert not waiting.retryable


def test_cancelling_an_unfinished_attempt_ends_it_but_a_paid_one_stays_paid(
        payment_gateway, stripe_settings):
    unfinished = payment_gateway.create_intent(order_reference="ORD-C1", amount_cents=700,
                                               currency="USD")
    cancelled = payment_gateway.cancel_intent(unfinished.intent_id)
    assert cancelled.status is PaymentStatus.FAILED and cancelled.provider_status == "canceled"

    visa = card_payment_method(stripe_settings, VISA)
    paid = payment_gateway.create_intent(order_reference="ORD-C2", amount_cents=700,
                                         currency="USD", payment_method=visa)
    payment_gateway.confirm_intent(paid.intent_id)
    assert payment_gateway.cancel_intent(paid.intent_id).status is PaymentStatus.PAID


def test_a_refund_happens_once_per_reference(payment_gateway, stripe_settings):
    visa = card_payment_method(stripe_settings, VISA)
    intent = payment_gateway.create_intent(order_reference="ORD-R1", amount_cents=3000,
                                           currency="USD", payment_method=visa)
    payment_gateway.confirm_intent(intent.intent_id)

    refund = payment_gateway.refund(intent.intent_id, reference="ORD-R1-line-2",
                                    amount_cents=1500)
    again = payment_gateway.refund(intent.intent_id, reference="ORD-R1-line-2",
                                   amount_cents=1500)

    assert (refund.amount_cents, refund.currency) == (1500, "USD")
    assert again.refund_id == refund.refund_id


def test_a_signed_webhook_is_read_and_a_tampered_one_refused(
        payment_gateway, stripe_settings, webhook_receiver):
    visa = card_payment_method(stripe_settings, VISA)
    intent = payment_gateway.create_intent(order_reference="ORD-W1", amount_cents=1500,
                                           currency="USD", payment_method=visa)
    payment_gateway.confirm_intent(intent.intent_id)

    body, headers = webhook_receiver.wait_for("payment_intent.succeeded", intent.intent_id)
    signature = headers["Stripe-Signature"]
    event = payment_gateway.parse_webhook(body, signature)

    assert event.type == "payment_intent.succeeded"
    assert event.event_id.startswith("evt_")
    assert event.object_id == intent.intent_id
    assert event.intent.pays("ORD-W1", 1500, "USD")

    tampered = body.replace(b'"amount": 1500', b'"amount": 15')
    assert tampered != body
    for payload, header in ((tampered, signature), (body, ""), (body, "t=1,v1=00")):
        with pytest.raises(WebhookRejected):
            payment_gateway.parse_webhook(payload, header)
    other_secret = PaymentGateway.from_settings(
        {**stripe_settings, "STRIPE_WEBHOOK_SECRET": "whsec_someone_else"})
    with pytest.raises(WebhookRejected):
        other_secret.parse_webhook(body, signature)


def _signed(payload: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def test_a_webhook_replayed_after_the_tolerance_is_refused(payment_gateway, stripe_settings):
    secret = stripe_settings["STRIPE_WEBHOOK_SECRET"]
    payload = json.dumps({
        "id": "evt_replayed", "object": "event", "type": "payment_intent.succeeded",
        "created": int(time.time()) - 3600,
        "data": {"object": {"id": "pi_x", "object": "payment_intent", "status": "succeeded",
                            "amount": 100, "currency": "usd", "metadata": {}}},
    }).encode()

    fresh = payment_gateway.parse_webhook(payload, _signed(payload, secret, int(time.time())))
    assert fresh.intent.status is PaymentStatus.PAID
    with pytest.raises(WebhookRejected, match="[Tt]olerance"):
        payment_gateway.parse_webhook(payload, _signed(payload, secret, int(time.time()) - 600))


def test_a_provider_that_is_down_gives_the_typed_unavailable_error(caplog):
    gateway = PaymentGateway("sk_test_down", api_base=f"http://127.0.0.1:{unused_port()}",
                             max_network_retries=0, timeout=2)

    with pytest.raises(PaymentUnavailable) as down:
        gateway.create_intent(order_reference="ORD-X", amount_cents=1500, currency="USD")

    assert down.value.user_message == UNAVAILABLE_MESSAGE
    assert "payment service is unavailable" in down.value.user_message
    assert "Your order is saved" in down.value.user_message
    assert "APIConnectionError" in str(down.value)
    assert "Payment service unavailable" in caplog.text


def test_without_an_api_key_payments_are_unavailable_not_a_crash():
    gateway = PaymentGateway.from_settings({})

    assert not gateway.configured
    with pytest.raises(PaymentUnavailable):
        gateway.retrieve_intent("pi_anything")


def test_an_order_is_never_sent_for_nothing_or_in_a_made_up_currency(payment_gateway):
    for amount, currency in ((0, "USD"), (-5, "USD"), (True, "USD"), (10.5, "USD"),
                             (100, "US"), (100, "")):
        with pytest.raises(ValueError):
            payment_gateway.create_intent(order_reference="ORD-V", amount_cents=amount,
                                          currency=currency)


def test_the_browser_loads_the_providers_script_from_the_api_origin_only(
        payment_gateway, stripe_settings):
    import urllib.request

    base = stripe_settings["STRIPE_API_BASE"]
    assert payment_gateway.js_url == f"{base}/js.stripe.com/v3/"
    with urllib.request.urlopen(payment_gateway.js_url, timeout=5) as reply:  # noqa: S310
        assert b"localstripe" in reply.read()
    assert payment_gateway.csp_sources["script-src"] == (base,)

    production = PaymentGateway("sk_live_x")
    assert production.js_url == "https://js.stripe.com/v3/"
    assert production.csp_sources["script-src"] == ("https://js.stripe.com",)
