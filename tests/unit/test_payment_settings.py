"""Payment settings come from the environment and configure the gateway."""

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
