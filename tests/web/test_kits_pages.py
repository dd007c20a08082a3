"""Certificates & Plaques through the test client: history, Claim & Purchase Fulfillment,
shipping, Confirm, payment through localstripe, the webhook, the confirmation screen."""

import re
import threading

import pytest

from certportal import create_app
from certportal.domain import kits
from certportal.models import (
    EcommerceTransaction,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
    OutgoingEmail,
    ProcessedWebhookEvent,
)
from tests.conftest import PARTIAL, csrf_token_from, log_in, unused_port
from tests.factories import MEI, candidate, john

SPECIALIST = "Specialist - Enterprise Core Certificate"
SUBMITTED = "The following fulfillment have been successfully purchased and submitted"
RALEIGH = {
    "first_name": "John", "last_name": "Doe", "email": "csco10000000@certportal.example",
    "phone": "+1 919 555 0100", "address_line1": "Test123test Test2 Cor", "address_line2": "",
    "city": "Raleigh", "state": "North Carolina", "postal_code": "27601", "country": "US",
}


def token(client, url="/certificates-plaques/claim") -> str:
    return csrf_token_from(client.get(url).text)


def shipping_form(client, kits_seen, tracking=False, key=None, **address):
    """The shipping form as a browser would post it: CODE:price per kit, the address."""
    data = {"csrf_token": token(client), "kit": kits_seen,
            "submission_key": key or kits.new_submission_key(), **RALEIGH, **address}
    if tracking:
        data["tracking"] = "on"
    return data


def claim_free_kit(client, **extra):
    return client.post("/certificates-plaques/claim/shipping",
                       data=shipping_form(client, ["SPEC-ENCOR-CERT:0"], **extra))


def counts():
    return (FulfillmentOrder.select().count(), OrderLine.select().count(),
            EcommerceTransaction.select().count(),
            KitEntitlement.select().where(KitEntitlement.claimed_at.is_null()).count())


# -- navigation and history -----------------------------------------------------------------


def test_the_section_replaces_its_placeholder_in_the_navigation(candidate_client):
    home = candidate_client.get("/").text
    assert '<a href="/certificates-plaques/">Certificates &amp; Plaques</a>' in home
    assert "/section/certificates-plaques" not in home
    assert candidate_client.get("/section/certificates-plaques").status_code == 404


def test_home_and_the_user_guide_lead_to_the_section(candidate_client, db):
    home = candidate_client.get("/").text
    assert ('<a href="/certificates-plaques/claim">Claim it in Certificates &amp; Plaques</a>'
            in home)
    guide = candidate_client.get("/help").text
    section = guide.split("<h2>Certificates &amp; Plaques</h2>")[1].split("</li>")[0]
    assert '<a href="/certificates-plaques/">"Certificates &amp; Plaques"</a>' in section
    assert '"Claim &amp; Purchase Fulfillment"' in section and '"Purchase"' in section
    assert '"Confirm"' in section


def test_history_shows_every_kit_with_the_guides_columns(candidate_client, db):
    page = candidate_client.get("/certificates-plaques/").text
    assert '<h1 id="history-heading">Certification Fulfillment Kit History &amp; Status</h1>' \
        in page
    for column in ("Name", "Verification Code", "Queued", "Sent", "Complete", "Status"):
        assert f'<th scope="col">{column}</th>' in page
    line = OrderLine.get((OrderLine.candidate == john()) & (OrderLine.name == "CCNA Certificate"))
    code = line.verification_code
    assert f"<code>{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}</code>" in page
    assert "CCNA (Certificate)" in page and "Complete" in page
    assert "Please allow 6-8 weeks for processing and shipping" in page
    # The guide prints months ("December 2019"), the exact day kept for machines.
    queued = line.queued_on
    assert (f'<td data-label="Queued"><time datetime="{queued.isoformat()}">'
            f'{queued:%B} {queued.year}</time></td>') in page


def test_history_of_a_candidate_without_kits_says_so(client):
    log_in(client, MEI, "second-demo-password")
    page = client.get("/certificates-plaques/").text
    assert "You have not claimed or bought any kit yet." in page and "<table" not in page


def test_the_section_needs_a_login(client):
    for url in ("/certificates-plaques/", "/certificates-plaques/claim",
                "/certificates-plaques/claim/shipping?kit=SPEC-ENCOR-CERT:0"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.location


# -- Claim & Purchase Fulfillment -----------------------------------------------------------


def test_claim_page_lists_the_kits_at_their_price_with_the_guides_notes(candidate_client):
    page = candidate_client.get("/certificates-plaques/claim").text
    assert '<h1 id="claim-heading">Claim &amp; Purchase Fulfillment</h1>' in page
    for column in ("Name", "Description", "Price"):
        assert f'<th scope="col">{column}</th>' in page
    assert 'value="SPEC-ENCOR-CERT:0"' in page
    assert f'<label for="kit-SPEC-ENCOR-CERT">{SPECIALIST}' in page
    assert 'value="CCNA-CERT:1500"' in page and "$15.00" in page
    assert "CCENT-CERT" not in page  # expired
    assert '<label for="tracking">Tracking: $10.00 for Printed Certificates</label>' in page
    assert "Trackable shipping is available for a fee." in page
    assert "Initial kits that have not been claimed will show at a price of $0." in page
    assert ("If you would like to purchase trackable shipping, please check off the box next to "
            "“Tracking”.") in page
    assert ("If you successfully completed all certification requirements you will receive the "
            "congratulations email and instructions to claim your initial kit for free.") in page
    assert "The following payment methods are available for certificate purchases:" in page
    assert "<li>Debit Card</li>" in page and "<li>Credit Card</li>" in page
    assert '<button type="submit" class="button-primary">Purchase</button>' in page


@pytest.mark.parametrize("query, message", [
    ("", "Select at least one kit to claim or purchase."),
    ("kit=CCENT-CERT:1500", "One of the selected kits is not one you can order."),
    ("kit=NOPE%3Cb%3E:0", "One of the selected kits is not one you can order."),
    ("kit=CCNA-CERT:0", "Your initial CCNA Certificate has already been claimed, so it now "
                        "costs $15.00."),
    ("kit=CCIE-EI-PLAQUE:100", "The price of CCIE Enterprise Infrastructure Plaque is now "
                               "$75.00."),
])
def test_a_bad_selection_is_refused_beside_the_table(candidate_client, db, query, message):
    before = counts()
    response = candidate_client.get(f"/certificates-plaques/claim/shipping?{query}")
    assert response.status_code == 422
    assert '<p class="field-error" id="kits-error">' in response.text
    assert message in response.text
    assert "NOPE" not in response.text
    assert counts() == before


def test_the_shipping_form_is_filled_from_the_last_order(candidate_client):
    page = candidate_client.get(
        "/certificates-plaques/claim/shipping?kit=SPEC-ENCOR-CERT:0").text
    assert "<h2>Demographics - English (Roman) alphabet only</h2>" in page
    assert "<h2>Localized (optional) - Double byte characters allowed</h2>" in page
    assert "Review and update the information below before proceeding" in page
    assert 'name="city" value="Raleigh"' in page and 'name="postal_code" value="27601"' in page
    assert '<option value="US" selected>United States</option>' in page
    assert 'name="kit" value="SPEC-ENCOR-CERT:0"' in page
    assert '<button type="submit" class="button-primary">Confirm</button>' in page


def test_the_shipping_form_is_filled_from_the_record_without_an_order(client):
    log_in(client, MEI, "second-demo-password")
    page = client.get("/certificates-plaques/claim/shipping?kit=CCNA-CERT:0").text
    assert 'name="localized_first_name" value="美"' in page
    assert 'name="city" value="Shanghai"' in page
    assert '<option value="CN" selected>China</option>' in page


def test_a_name_in_another_script_is_refused_in_the_roman_panel(candidate_client, db):
    before = counts()
    response = candidate_client.post(
        "/certificates-plaques/claim/shipping",
        data=shipping_form(candidate_client, ["SPEC-ENCOR-CERT:0"], first_name="王美",
                           localized_first_name="美"))
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="first_name-error">Use the English \(Roman\) '
                     r"alphabet here\. Names and addresses in other scripts go under "
                     r"“Localized \(optional\) - Double byte characters allowed”\.</p>",
                     response.text)
    assert 'id="first_name" name="first_name" value="王美"' in response.text
    assert 'aria-invalid="true" aria-describedby="first_name-error"' in response.text
    assert counts() == before


def test_an_address_that_fails_its_countrys_rules_is_refused(candidate_client, db):
    before = counts()
    response = candidate_client.post(
        "/certificates-plaques/claim/shipping",
        data=shipping_form(candidate_client, ["SPEC-ENCOR-CERT:0"], postal_code="12345",
                           city=""))
    assert response.status_code == 422
    assert "Check the ZIP code: it does not fit North Carolina, United States" in response.text
    assert 'id="city-error">Enter your city.' in response.text
    assert counts() == before


def test_another_country_brings_its_own_place_fields(candidate_client):
    response = candidate_client.get(
        "/certificates-plaques/claim/shipping/place?country=JP&city=Tokyo", headers=PARTIAL)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="place-fields">')
    assert "Your prefecture, as listed for Japan." in response.text
    assert '<option value="Tokyo"></option>' in response.text
    assert "<html" not in response.text


# -- claiming the free kit ------------------------------------------------------------------


def test_claiming_the_free_kit_submits_it_at_once(candidate_client, db):
    response = claim_free_kit(candidate_client)
    assert response.status_code == 303
    order = FulfillmentOrder.select().order_by(FulfillmentOrder.id.desc()).get()
    assert response.location.endswith(f"/certificates-plaques/orders/{order.reference}")
    page = candidate_client.get(response.location).text
    assert SUBMITTED in page
    assert (f'<tr><td data-label="Name">{SPECIALIST}</td>'
            '<td class="money" data-label="Price">$0.00</td></tr>') in page
    assert "<strong>NOTE:</strong> Please allow 6-8 weeks for processing and shipping" in page
    assert order.ship_to["city"] == "Raleigh" and order.ship_to["phone"] == "+19195550100"
    [message] = OutgoingEmail.select().where(OutgoingEmail.kind == "order_confirmation")
    assert SUBMITTED in message.body_text and f"{SPECIALIST}: $0.00" in message.body_text
    assert f"Order: {order.reference}" in message.body_text
    # Home's item is gone, the history lists the kit, Testing History the claim.
    assert "Your free initial kit for" not in candidate_client.get("/").text
    assert "Specialist - Enterprise Core (Certificate)" in candidate_client.get(
        "/certificates-plaques/").text
    transactions = candidate_client.get("/testing-history/transactions").text
    assert transactions.count("Initial kit claim") == 3


def test_the_same_confirm_twice_places_one_order(candidate_client, db):
    form = shipping_form(candidate_client, ["SPEC-ENCOR-CERT:0"])
    first = candidate_client.post("/certificates-plaques/claim/shipping", data=form)
    again = candidate_client.post("/certificates-plaques/claim/shipping", data=form)
    assert first.status_code == again.status_code == 303
    assert first.location == again.location
    assert OutgoingEmail.select().where(OutgoingEmail.kind == "order_confirmation").count() == 1


def test_a_kit_staff_cancelled_stays_in_the_history_and_no_longer_verifies(candidate_client, db):
    from datetime import date

    from certportal.domain import fulfillment_queue

    claim_free_kit(candidate_client)
    line = OrderLine.select().order_by(OrderLine.id.desc()).get()
    api = f"/api/v1/verifications/{line.verification_code}"
    assert candidate_client.get(api).status_code == 200
    fulfillment_queue.cancel_line(line, None, reason="Printed with a typo", staff_user=None,
                                  today=date.today())
    history = candidate_client.get("/certificates-plaques/").text
    row = history.split("Specialist - Enterprise Core (Certificate)")[1].split("</tr>")[0]
    assert '<td data-label="Status">Cancelled</td>' in row
    assert candidate_client.get(api).json["error"] == "not_verifiable"
    # Cancelled before it was queued (an unpaid order), a kit never reached the history.
    assert kits.fulfillment_history(john()).count(line) == 1


def test_a_second_claim_of_the_free_kit_is_refused_and_changes_nothing(candidate_client, db):
    claim_free_kit(candidate_client)
    before = counts()
    response = claim_free_kit(candidate_client)
    assert response.status_code == 422
    assert f"Your initial {SPECIALIST} has already been claimed, so it now costs $15.00." \
        in response.text
    assert counts() == before


def test_two_windows_claiming_at_once_place_exactly_one_order(app, db):
    clients = [app.test_client(), app.test_client()]
    forms = []
    for client in clients:
        assert log_in(client).status_code == 303
        forms.append(shipping_form(client, ["SPEC-ENCOR-CERT:0"]))
    barrier = threading.Barrier(2)
    statuses = []

    def submit(client, form):
        barrier.wait()
        statuses.append(client.post("/certificates-plaques/claim/shipping", data=form)
                        .status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(clients, forms,
                                                                          strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 422]
    assert OrderLine.select().where(OrderLine.name == SPECIALIST).count() == 1


def test_a_post_without_the_csrf_token_is_refused(candidate_client, db):
    before = counts()
    form = shipping_form(candidate_client, ["SPEC-ENCOR-CERT:0"])
    del form["csrf_token"]
    assert candidate_client.post("/certificates-plaques/claim/shipping", data=form) \
        .status_code == 400
    assert counts() == before


# -- buying and paying ----------------------------------------------------------------------


@pytest.fixture
def shop(app_config, stripe_settings):
    """A logged-in client of a portal that pays through localstripe."""
    app_config.update(stripe_settings)
    client = create_app(app_config).test_client()
    assert log_in(client).status_code == 303
    return client


def place_paid_order(client, tracking=True) -> FulfillmentOrder:
    form = shipping_form(client, ["CCIE-EI-PLAQUE:7500"], tracking=tracking)
    review = client.post("/certificates-plaques/claim/shipping", data=form)
    assert review.status_code == 200, review.text
    assert "Nothing has been charged yet." in review.text
    response = client.post("/certificates-plaques/claim/order", data=form)
    assert response.status_code == 303
    order = FulfillmentOrder.select().order_by(FulfillmentOrder.id.desc()).get()
    assert response.location.endswith(f"/orders/{order.reference}/pay")
    return order


def pay(client, order, method):
    page = client.get(f"/certificates-plaques/orders/{order.reference}/pay")
    return client.post(f"/certificates-plaques/orders/{order.reference}/pay",
                       data={"csrf_token": csrf_token_from(page.text), "payment_method": method})


def test_confirm_shows_the_total_before_anything_is_charged(shop, db):
    form = shipping_form(shop, ["CCIE-EI-PLAQUE:7500"], tracking=True)
    review = shop.post("/certificates-plaques/claim/shipping", data=form).text
    assert ('<td class="money" data-label="Total"><strong>$85.00</strong>'
            ' <span class="currency">USD</span>') in review
    assert ('<tr><td data-label="Name">Tracking</td>'
            '<td class="money" data-label="Price">$10.00</td></tr>') in review
    assert 'data-hx-boost="false"' in review and "Continue to payment" in review
    assert FulfillmentOrder.select().count() == 3  # the demo's, nothing new


def test_buying_a_kit_with_tracking_and_paying_by_card(shop, db, stripe_settings):
    order = place_paid_order(shop)
    assert order.status == "awaiting_payment" and order.total_cents == 8500
    page = shop.get(f"/certificates-plaques/orders/{order.reference}/pay")
    origin = stripe_settings["STRIPE_API_BASE"]
    policy = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {origin}" in policy and f"connect-src 'self' {origin}" in policy
    assert f'<script src="{origin}/js.stripe.com/v3/" defer></script>' in page.text
    assert "Paying by card needs JavaScript" in page.text
    # Only the payment page allows the provider.
    assert origin not in shop.get("/certificates-plaques/claim").headers[
        "Content-Security-Policy"]

    response = pay(shop, order, "pm_card_visa")
    assert response.status_code == 303
    assert response.location.endswith(f"/orders/{order.reference}")
    paid = FulfillmentOrder.get_by_id(order.id)
    assert (paid.status, paid.payment_method) == ("submitted", "card")
    assert SUBMITTED in shop.get(response.location).text
    [row] = EcommerceTransaction.select().where(EcommerceTransaction.order == order)
    assert (row.description, row.amount_cents, row.status) == (
        "Kit purchase with trackable shipping", 8500, "Completed")
    transactions = shop.get("/testing-history/transactions").text
    assert transactions.count("Kit purchase with trackable shipping") == 2
    message = OutgoingEmail.get(OutgoingEmail.kind == "order_confirmation")
    assert "Paid: $85.00 USD by card" in message.body_text
    # A paid order is not paid twice: its payment page and a payment both lead to the order.
    assert shop.get(f"/certificates-plaques/orders/{order.reference}/pay").status_code == 303
    again = shop.post(f"/certificates-plaques/orders/{order.reference}/pay",
                      data={"csrf_token": token(shop), "payment_method": "pm_card_visa"})
    assert again.status_code == 303
    assert EcommerceTransaction.select().where(EcommerceTransaction.order == order).count() == 1


def test_a_declined_card_leaves_the_order_saved_and_a_new_card_pays(shop, db):
    order = place_paid_order(shop)
    declined = pay(shop, order, "pm_card_chargeCustomerFail")
    assert declined.status_code == 422
    assert "Your card was declined and nothing was charged." in declined.text
    assert FulfillmentOrder.get_by_id(order.id).status == "awaiting_payment"
    assert "Declined" in shop.get("/testing-history/transactions").text
    assert pay(shop, order, "pm_card_visa").status_code == 303
    assert FulfillmentOrder.get_by_id(order.id).status == "submitted"


def test_an_abandoned_order_waits_in_the_list_and_can_be_cancelled(shop, db):
    order = place_paid_order(shop)
    page = shop.get("/certificates-plaques/").text
    assert "Orders awaiting payment" in page and order.reference in page
    response = shop.post(f"/certificates-plaques/orders/{order.reference}/cancel",
                         data={"csrf_token": token(shop)})
    assert response.status_code == 303 and response.location.endswith("/claim")
    assert "Your order was cancelled; nothing was charged." in shop.get(response.location).text
    assert FulfillmentOrder.get_by_id(order.id).status == "cancelled"


def test_a_provider_that_is_down_leaves_the_order_saved(app_config, db):
    app_config.update(STRIPE_API_KEY="sk_test_down",
                      STRIPE_API_BASE=f"http://127.0.0.1:{unused_port()}")
    client = create_app(app_config).test_client()
    log_in(client)
    order = place_paid_order(client)
    response = pay(client, order, "pm_card_visa")
    assert response.status_code == 503
    assert "The payment service is unavailable right now. Your order is saved: you can pay " \
           "for it later." in response.text
    assert "Traceback" not in response.text
    assert FulfillmentOrder.get_by_id(order.id).status == "awaiting_payment"


def test_a_malformed_payment_method_is_refused_beside_the_card(shop, db):
    order = place_paid_order(shop)
    response = pay(shop, order, "4242424242424242")
    assert response.status_code == 422
    assert "Enter your card details in the card field." in response.text
    assert FulfillmentOrder.get_by_id(order.id).payment_attempt == 0


def test_the_providers_webhook_pays_once_and_a_replay_changes_nothing(
        shop, db, payment_gateway, webhook_receiver):
    order = place_paid_order(shop, tracking=False)
    intent = payment_gateway.create_intent(order_reference=order.reference, amount_cents=7500,
                                           currency="USD", payment_method="pm_card_visa")
    payment_gateway.confirm_intent(intent.intent_id)
    body, headers = webhook_receiver.wait_for("payment_intent.succeeded", intent.intent_id)
    url = "/payments/stripe/webhook"
    signature = {"Stripe-Signature": headers["Stripe-Signature"],
                 "Content-Type": "application/json"}
    assert shop.post(url, data=body, headers=signature).status_code == 200
    assert shop.post(url, data=body, headers=signature).status_code == 200
    assert FulfillmentOrder.get_by_id(order.id).status == "submitted"
    assert EcommerceTransaction.select().where(EcommerceTransaction.order == order).count() == 1
    assert ProcessedWebhookEvent.select().count() == 1
    tampered = body.replace(b'"amount": 7500', b'"amount": 1')
    assert shop.post(url, data=tampered, headers=signature).status_code == 400
    assert shop.post(url, data=body, headers={"Content-Type": "application/json"}) \
        .status_code == 400


def test_another_candidates_order_is_not_found(shop, app, db):
    order = place_paid_order(shop)
    other = app.test_client()
    log_in(other, MEI, "second-demo-password")
    form_token = csrf_token_from(other.get("/certificates-plaques/claim").text)
    base = f"/certificates-plaques/orders/{order.reference}"
    assert other.get(base).status_code == 404
    assert other.get(f"{base}/pay").status_code == 404
    for url in (f"{base}/pay", f"{base}/pay/check", f"{base}/cancel"):
        assert other.post(url, data={"csrf_token": form_token,
                                     "payment_method": "pm_card_visa"}).status_code == 404
    assert FulfillmentOrder.get_by_id(order.id).status == "awaiting_payment"
    assert candidate(MEI).id != order.candidate_id


# -- congratulations (F28) ------------------------------------------------------------------

EXAM_HEADER = "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"


def test_an_import_that_earns_a_certification_congratulates_once(app, db, tmp_path):
    from datetime import date, timedelta

    day = date.today() - timedelta(days=3)
    path = tmp_path / "vue.csv"
    path.write_text(EXAM_HEADER
                    + f"CSCO20000001,ana.silva@example.com,Ana,Silva,200-301,VUE-1,Pass,{day}\n")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", "exams", str(path)]).exit_code == 0
    assert runner.invoke(args=["certs", "refresh"]).exit_code == 0
    assert runner.invoke(args=["import", "exams", str(path)]).exit_code == 0
    [message] = OutgoingEmail.select().where(OutgoingEmail.kind == "congratulations")
    assert message.to_address == "ana.silva@example.com"
    assert message.subject == "Congratulations on your CCNA (CCNA) certification"
    assert "Claim your initial certification kit for free:" in message.body_text
    assert "  - CCNA Certificate: $0.00" in message.body_text
    # Ana never logged in: how to, with links on BASE_URL built without a request.
    assert "http://localhost/first-time-login" in message.body_text
    assert '<a href="http://localhost/login">' in message.body_html


def test_congratulations_owed_are_sent_by_send_pending(app_config, smtp_server, db):
    from datetime import date, timedelta

    from certportal.domain.certifications import recompute
    from certportal.models import Exam, ExamResult

    mei = candidate(MEI)
    ExamResult.create(candidate=mei, exam=Exam.get(Exam.code == "350-401"),
                      registration_number="VUE-MEI-2", grade="Pass",
                      taken_on=date.today() - timedelta(days=1))
    recompute(mei, date.today())  # no application here: the earning waits, unannounced
    assert not OutgoingEmail.select().where(OutgoingEmail.kind == "congratulations").exists()
    app_config["MAIL_URL"] = smtp_server.url
    result = create_app(app_config).test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 congratulations message(s) for earlier earnings." in result.output
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert subjects == ["Congratulations on your Cisco Certified Specialist - Enterprise Core "
                        "(Specialist) certification"]


def test_payment_attempts_are_limited_per_candidate(app_config, db):
    app_config.update(RATELIMIT_ENABLED=True, PAYMENT_RATE_LIMIT="2 per hour")
    client = create_app(app_config).test_client()
    log_in(client)
    order = place_paid_order(client)
    statuses = [pay(client, order, "not-a-card").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert FulfillmentOrder.get_by_id(order.id).payment_attempt == 0
    anonymous = create_app(app_config).test_client()
    form = {"csrf_token": csrf_token_from(anonymous.get("/login").text)}
    response = anonymous.post(f"/certificates-plaques/orders/{order.reference}/pay", data=form)
    assert response.status_code in (302, 303) and "/login" in response.location


def test_the_place_fields_alone_are_only_for_htmx(candidate_client):
    response = candidate_client.get("/certificates-plaques/claim/shipping/place?country=JP")
    assert response.status_code == 303 and response.location.endswith("/claim")
