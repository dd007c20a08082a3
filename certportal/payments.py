"""Card payments through Stripe: one PaymentIntent per payment attempt of an order.

A service adapter like `certportal.mail`: it speaks to the provider and knows nothing of
HTTP requests or Flask. Build one per app from its settings
(`PaymentGateway.from_settings(app.config)`) and share it: the underlying HTTP client keeps
one connection pool per thread. Development and tests point `STRIPE_API_BASE` at
localstripe (`scripts/with_localstripe.py`); production leaves it empty.

Amounts are integer minor units (cents for USD) with an ISO 4217 currency, exactly as orders
store them. Card details never pass through here: the browser hands them to the provider's
own element, which gives back a payment method id.

Provider failures become `PaymentError`s. Their `user_message` is safe to show a candidate;
their `str()` is meant for logs and holds the provider's error code, HTTP status and request
id, never the request's parameters.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

import stripe

log = logging.getLogger(__name__)
# The stripe library logs every request's parameters and every response body (client secrets
# included) at DEBUG: keep that out of our logs whatever the root level is.
logging.getLogger("stripe").setLevel(logging.INFO)

STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Where Stripe.js loads from, talks to and frames (Stripe's CSP guidance), for the payment
# page's Content-Security-Policy.
STRIPE_CSP_SOURCES = {
    "script-src": ("https://js.stripe.com",),
    "connect-src": ("https://api.stripe.com",),
    "frame-src": ("https://js.stripe.com", "https://hooks.stripe.com"),
}
TIMEOUT_SECONDS = 20
# Retries reuse the request's idempotency key, so a retried create never makes two intents.
MAX_NETWORK_RETRIES = 2
# How old a webhook's signed timestamp may be; an older delivery is refused as a replay.
WEBHOOK_TOLERANCE_SECONDS = 300

UNAVAILABLE_MESSAGE = (
    "The payment service is unavailable right now. Your order is saved: you can pay for it later."
)
DECLINED_MESSAGE = (
    "Your card was declined and nothing was charged. Your order is saved: "
    "try again with another card."
)

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
# Long digit runs look like card numbers; they are cut from anything logged.
_CARD_LIKE = re.compile(r"\d(?:[ -]?\d){11,}")


class PaymentStatus(StrEnum):
    """Where an order's payment attempt stands, in the portal's terms."""

    UNPAID = "unpaid"  # created, not yet confirmed with a payment method
    REQUIRES_ACTION = "requires_action"  # the candidate must authenticate (3-D Secure)
    PROCESSING = "processing"  # the provider is still working on it: wait, do not retry
    PAID = "paid"
    FAILED = "failed"  # declined or cancelled: nothing charged; retry with a new attempt


# Stripe's PaymentIntent statuses. `requires_payment_method` is both "new" and "the last
# attempt failed"; the presence of `last_payment_error` tells them apart. Manual capture is
# never requested, so an authorised, uncaptured payment is still in progress.
_STATUS_MAP = {
    "requires_confirmation": PaymentStatus.UNPAID,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.PAID,
    "canceled": PaymentStatus.FAILED,
}


class PaymentError(Exception):
    """The provider did not do what was asked. Show `user_message`; log `str(error)`."""

    user_message = UNAVAILABLE_MESSAGE

    def __init__(self, detail: str, *, code: str = "", http_status: int | None = None,
                 request_id: str = "", intent_id: str = ""):
        self.detail = _CARD_LIKE.sub("[redacted]", detail)
        self.code = code or ""
        self.http_status = http_status
        self.request_id = request_id or ""
        self.intent_id = intent_id or ""
        super().__init__(self.detail)

    def __str__(self) -> str:
        parts = [self.detail]
        parts += [f"{name}={value}" for name, value in (
            ("code", self.code), ("http_status", self.http_status),
            ("request_id", self.request_id), ("intent", self.intent_id),
        ) if value]
        return " ".join(parts)


class PaymentUnavailable(PaymentError):
    """The provider cannot be reached, timed out, is overloaded or failed: try again later."""


class PaymentDeclined(PaymentError):
    """The card was refused. The attempt is over; the order can be paid with another card."""

    user_message = DECLINED_MESSAGE

    def __init__(self, detail: str, *, decline_code: str = "", **kwargs):
        super().__init__(detail, **kwargs)
        self.decline_code = decline_code or ""


class PaymentRejected(PaymentError):
    """The provider refused the request itself (bad key, unknown object, invalid parameter).

    A configuration or programming error: the candidate is told the service is unavailable.
    """


class WebhookRejected(Exception):
    """A webhook delivery that is not from the provider, was altered, or is a stale replay."""


@dataclass(frozen=True)
class IntentState:
    """One PaymentIntent as the portal needs it."""

    intent_id: str
    status: PaymentStatus
    provider_status: str
    amount_cents: int
    currency: str  # upper case, e.g. "USD"
    order_reference: str  # from the intent's metadata; "" if it has none
    attempt: int
    failure_code: str = ""
    # The provider's own sentence for a decline ("Your card was declined."), meant for users.
    failure_message: str = ""
    # Lets the provider's script in the browser finish 3-D Secure; never log it.
    client_secret: str = field(default="", repr=False)

    @property
    def retryable(self) -> bool:
        """The attempt is over without a charge: a new attempt may be started."""
        return self.status is PaymentStatus.FAILED

    def pays(self, order_reference: str, amount_cents: int, currency: str) -> bool:
        """True only when this intent settled exactly this order's total."""
        return (
            self.status is PaymentStatus.PAID
            and self.order_reference == order_reference
            and self.amount_cents == amount_cents
            and self.currency == currency.upper()
        )


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    intent_id: str
    amount_cents: int
    currency: str
    provider_status: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook delivery. The same event may arrive more than once: dedupe on id."""

    event_id: str
    type: str  # e.g. "payment_intent.succeeded"
    created: datetime
    object_type: str  # e.g. "payment_intent", "charge"
    object_id: str
    intent: IntentState | None  # set when the event is about a PaymentIntent


def intent_idempotency_key(order_reference: str, attempt: int) -> str:
    """The one key for creating attempt N of an order's payment.

    A double-click, a browser retry or a network retry of the same attempt therefore gets the
    same intent back from the provider instead of a second one. Keys live per provider
    account, so `order_reference` must be unique across every database that shares the
    account (a random reference stored on the order, not a bare row id).
    """
    return f"certportal-order-{order_reference}-attempt-{attempt}"


def _status_of(provider_status: str, has_error: bool) -> PaymentStatus:
    if provider_status == "requires_payment_method":
        return PaymentStatus.FAILED if has_error else PaymentStatus.UNPAID
    # An unknown status is neither paid nor retryable, so it can never cause a second charge.
    return _STATUS_MAP.get(provider_status, PaymentStatus.PROCESSING)


def _get(obj, key: str, default=None):
    """Read a field from a Stripe object or a plain dict (webhook payloads)."""
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def intent_state(intent) -> IntentState:
    """Our view of a PaymentIntent (a Stripe object or the dict from a webhook)."""
    error = _get(intent, "last_payment_error")
    metadata = _get(intent, "metadata", {})
    provider_status = _get(intent, "status", "")
    try:
        attempt = int(_get(metadata, "attempt", 0))
    except (TypeError, ValueError):
        attempt = 0
    return IntentState(
        intent_id=_get(intent, "id", ""),
        status=_status_of(provider_status, bool(error)),
        provider_status=provider_status,
        amount_cents=int(_get(intent, "amount", 0)),
        currency=str(_get(intent, "currency", "")).upper(),
        order_reference=str(_get(metadata, "order_reference", "")),
        attempt=attempt,
        failure_code=str(_get(error, "decline_code", "") or _get(error, "code", "")),
        failure_message=str(_get(error, "message", "")),
        client_secret=_get(intent, "client_secret", ""),
    )


def _translate(error: stripe.StripeError, intent_id: str = "") -> PaymentError:
    """The portal's exception for a provider error; also logs it without request data."""
    details = {
        "code": getattr(error, "code", "") or "",
        "http_status": getattr(error, "http_status", None),
        "request_id": getattr(error, "request_id", "") or "",
        "intent_id": intent_id,
    }
    message = f"{type(error).__name__}: {getattr(error, 'user_message', '') or ''}".strip()
    if isinstance(error, stripe.CardError):
        provider_error = getattr(error, "error", None)
        translated = PaymentDeclined(
            message,
            decline_code=getattr(provider_error, "decline_code", "") or "",
            **details,
        )
        log.info("Payment declined: %s", translated)
    elif isinstance(error, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        translated = PaymentUnavailable(message, **details)
        log.warning("Payment service unavailable: %s", translated)
    else:
        translated = PaymentRejected(message, **details)
        log.error("Payment request refused by the provider: %s", translated)
    return translated


class PaymentGateway:
    """Stripe, configured once: create, confirm, read and cancel intents; refunds; webhooks."""

    def __init__(self, api_key: str, *, api_base: str = "", webhook_secret: str = "",
                 publishable_key: str = "", timeout: float = TIMEOUT_SECONDS,
                 max_network_retries: int = MAX_NETWORK_RETRIES,
                 webhook_tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
                 payment_method_types: tuple[str, ...] = ("card",)):
        self.api_base = api_base.rstrip("/")
        self.webhook_secret = webhook_secret
        self.publishable_key = publishable_key
        self.webhook_tolerance = webhook_tolerance
        # Card covers debit and credit cards. Naming the types (rather than Stripe's
        # automatic methods) also keeps server-side confirmation free of redirect methods,
        # which would need a return URL.
        self.payment_method_types = tuple(payment_method_types)
        self._client = None
        if api_key:
            self._client = stripe.StripeClient(
                api_key,
                base_addresses={"api": self.api_base} if self.api_base else None,
                max_network_retries=max_network_retries,
                http_client=stripe.RequestsClient(timeout=timeout),
            )

    @classmethod
    def from_settings(cls, settings: Mapping, **options) -> "PaymentGateway":
        """The gateway described by the portal's settings (`app.config` or a dict)."""
        return cls(
            settings.get("STRIPE_API_KEY", ""),
            api_base=settings.get("STRIPE_API_BASE", ""),
            webhook_secret=settings.get("STRIPE_WEBHOOK_SECRET", ""),
            publishable_key=settings.get("STRIPE_PUBLISHABLE_KEY", ""),
            **options,
        )

    @property
    def configured(self) -> bool:
        return self._client is not None

    # -- browser side -----------------------------------------------------------------------

    @property
    def js_url(self) -> str:
        """Stripe.js, or localstripe's stand-in for it when the API is local."""
        return f"{self.api_base}/js.stripe.com/v3/" if self.api_base else STRIPE_JS_URL

    @property
    def csp_sources(self) -> dict[str, tuple[str, ...]]:
        """Origins the payment page's CSP must allow, per directive (and no other page)."""
        if not self.api_base:
            return dict(STRIPE_CSP_SOURCES)
        parts = urlsplit(self.api_base)
        origin = f"{parts.scheme}://{parts.netloc}"
        return {"script-src": (origin,), "connect-src": (origin,), "frame-src": ()}

    # -- intents ----------------------------------------------------------------------------

    def create_intent(self, *, order_reference: str, amount_cents: int, currency: str,
                      attempt: int = 1, payment_method: str = "",
                      metadata: Mapping[str, str] | None = None) -> IntentState:
        """Create (or, for a repeated call, get back) attempt N's PaymentIntent.

        Pass `payment_method` (the id the provider's element returned) when the server will
        confirm: localstripe accepts it only here, not on confirm. Nothing is charged until
        `confirm_intent` (or the browser) confirms.
        """
        if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) \
                or amount_cents <= 0:
            raise ValueError("amount_cents must be a positive whole number; $0 needs no payment")
        if not _CURRENCY.match(currency or ""):
            raise ValueError("currency must be a three-letter ISO 4217 code")
        if not order_reference or attempt < 1:
            raise ValueError("an intent needs the order's reference and an attempt from 1")
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "payment_method_types": list(self.payment_method_types),
            "metadata": {**(metadata or {}), "order_reference": order_reference,
                         "attempt": str(attempt)},
        }
        if payment_method:
            params["payment_method"] = payment_method
        intent = self._call(
            lambda client: client.v1.payment_intents.create(
                params=params,
                options={"idempotency_key": intent_idempotency_key(order_reference, attempt)},
            )
        )
        return intent_state(intent)

    def confirm_intent(self, intent_id: str) -> IntentState:
        """Confirm with the payment method given at creation; PAID or REQUIRES_ACTION.

        A decline raises `PaymentDeclined` (the intent is then FAILED and retryable).
        """
        intent = self._call(
            lambda client: client.v1.payment_intents.confirm(
                intent_id, options={"idempotency_key": f"certportal-confirm-{intent_id}"}
            ),
            intent_id,
        )
        return intent_state(intent)

    def retrieve_intent(self, intent_id: str) -> IntentState:
        return intent_state(
            self._call(lambda client: client.v1.payment_intents.retrieve(intent_id), intent_id)
        )

    def cancel_intent(self, intent_id: str) -> IntentState:
        """Cancel an unfinished attempt before starting another, so both cannot be paid.

        An intent that already succeeded (or is processing) cannot be cancelled: its current
        state is returned instead, and the caller sees it is PAID.
        """
        state = self.retrieve_intent(intent_id)
        if state.status in (PaymentStatus.PAID, PaymentStatus.PROCESSING) \
                or state.provider_status == "canceled":
            return state
        try:
            intent = self._call(
                lambda client: client.v1.payment_intents.cancel(intent_id), intent_id
            )
        except PaymentRejected:
            # It moved on between the two calls (paid, most likely): report where it is now.
            return self.retrieve_intent(intent_id)
        return intent_state(intent)

    # -- refunds ----------------------------------------------------------------------------

    def refund(self, intent_id: str, *, reference: str,
               amount_cents: int | None = None) -> RefundResult:
        """Refund all or part of a paid intent, once per `reference` (e.g. an order line)."""
        if amount_cents is not None and (not isinstance(amount_cents, int) or amount_cents <= 0):
            raise ValueError("amount_cents must be a positive whole number")
        if not reference:
            raise ValueError("a refund needs a reference naming what it refunds")
        params = {"payment_intent": intent_id, "metadata": {"reference": reference}}
        if amount_cents is not None:
            params["amount"] = amount_cents
        refund = self._call(
            lambda client: client.v1.refunds.create(
                params=params, options={"idempotency_key": f"certportal-refund-{reference}"}
            ),
            intent_id,
        )
        return RefundResult(
            refund_id=refund["id"],
            intent_id=intent_id,
            amount_cents=int(refund["amount"]),
            currency=str(refund["currency"]).upper(),
            provider_status=_get(refund, "status", ""),
        )

    # -- webhooks ---------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify a delivery's signature and age, then read it. Raises `WebhookRejected`."""
        if not self.webhook_secret:
            raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
        if not signature_header:
            raise WebhookRejected("no Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature_header, self.webhook_secret, tolerance=self.webhook_tolerance
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookRejected(f"signature refused: {error.user_message or error}") from None
        except (ValueError, UnicodeDecodeError):
            raise WebhookRejected("payload is not a JSON event") from None
        data_object = _get(_get(event, "data", {}), "object", {})
        object_type = _get(data_object, "object", "")
        try:
            return WebhookEvent(
                event_id=event["id"],
                type=event["type"],
                created=datetime.fromtimestamp(int(event["created"]), UTC),
                object_type=object_type,
                object_id=_get(data_object, "id", ""),
                intent=intent_state(data_object) if object_type == "payment_intent" else None,
            )
        except (KeyError, TypeError, ValueError):
            raise WebhookRejected("event lacks id, type or created") from None

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, request, intent_id: str = ""):
        if self._client is None:
            log.error("Payment attempted but STRIPE_API_KEY is not set")
            raise PaymentUnavailable("STRIPE_API_KEY is not set", intent_id=intent_id)
        try:
            return request(self._client)
        except stripe.StripeError as error:
            raise _translate(error, intent_id) from None
