"""Payment settings come from the environment and configure the gateway."""

import pytest

from certportal import config
from certportal.payments import PaymentGateway


def test_stripe_settings_from_the_environment_configure_the_gateway(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_123")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:8420/")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_123")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_123")

    gateway = PaymentGateway.from_settings(config.load(str(tmp_path)))

    assert gateway.configured
    assert gateway.publishable_key == "pk_test_123"
    assert gateway.webhook_secret == "whsec_123"
    assert gateway.js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"


def test_without_stripe_settings_payments_are_off_and_point_at_stripe(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    for name in ("STRIPE_API_KEY", "STRIPE_API_BASE", "STRIPE_PUBLISHABLE_KEY",
                 "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)

    settings = config.load(str(tmp_path))
    gateway = PaymentGateway.from_settings(settings)

    assert settings["STRIPE_API_KEY"] == ""
    assert not gateway.configured
    assert gateway.js_url == "https://js.stripe.com/v3/"


def kit_settings(env: dict) -> dict:
    names = ("KIT_CURRENCY", "KIT_TRACKING_PRICE_CENTS", "PAYMENT_METHODS")
    return {setting.name: setting.read(env) for setting in config.ENVIRONMENT
            if setting.name in names}


def test_kit_order_settings_default_and_from_the_environment():
    assert kit_settings({}) == {
        "KIT_CURRENCY": "USD", "KIT_TRACKING_PRICE_CENTS": 1000, "PAYMENT_METHODS": ("card",),
    }
    assert kit_settings({
        "KIT_CURRENCY": "eur", "KIT_TRACKING_PRICE_CENTS": "0", "PAYMENT_METHODS": " Card , card",
    }) == {"KIT_CURRENCY": "EUR", "KIT_TRACKING_PRICE_CENTS": 0, "PAYMENT_METHODS": ("card",)}


def test_kit_order_settings_that_cannot_work_stop_the_start():
    for env, message in (
        ({"KIT_CURRENCY": "dollars"}, "KIT_CURRENCY"),
        ({"KIT_TRACKING_PRICE_CENTS": "-5"}, "KIT_TRACKING_PRICE_CENTS"),
        ({"KIT_TRACKING_PRICE_CENTS": "9.99"}, "KIT_TRACKING_PRICE_CENTS"),
        ({"PAYMENT_METHODS": "card,bitcoin"}, "PAYMENT_METHODS"),
        ({"PAYMENT_METHODS": "card,paypal"}, "PayPal is not available yet"),
        ({"PAYMENT_METHODS": ",,"}, "PAYMENT_METHODS"),
    ):
        with pytest.raises(config.ConfigError, match=message):
            kit_settings(env)
