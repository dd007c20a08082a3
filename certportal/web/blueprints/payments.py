"""The payment provider's side door: its signed webhook (no login, no CSRF token: the
signature is the proof), and the one gateway the app shares."""

import logging
from datetime import date

from flask import Blueprint, current_app, jsonify, request

from certportal import notifications
from certportal.domain import kits
from certportal.web.security import csrf

bp = Blueprint("payments", __name__, url_prefix="/payments")
log = logging.getLogger(__name__)


def payment_gateway():
    """The app's PaymentGateway, built once on first use (importing stripe takes a while)."""
    gateway = current_app.extensions.get("payment_gateway")
    if gateway is None:
        from certportal.payments import PaymentGateway

        gateway = current_app.extensions["payment_gateway"] = PaymentGateway.from_settings(
            current_app.config
        )
    return gateway


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Stripe's events: a payment succeeded (the order is paid, once) or failed."""
    from certportal.payments import WebhookRejected

    try:
        event = payment_gateway().parse_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except WebhookRejected as refused:
        log.warning("Webhook refused: %s", refused)
        return jsonify(received=False, error="refused"), 400
    outcome = kits.handle_payment_event(event, today=date.today(),
                                        notify=notifications.order_confirmation)
    log.info("Webhook %s (%s): %s", event.event_id, event.type, outcome)
    return jsonify(received=True)
