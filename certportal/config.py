"""Every setting: its environment variable, default and parsing, once.

`ENVIRONMENT` lists what a deployment may set (the README's configuration table documents
each), besides CERTPORTAL_ENV (development or production) and SECRET_KEY (required outside
development). `load()` reads them, derives what follows (cookies over HTTPS, the rate-limit
store's options) and adds the portal's fixed policies (`FIXED`). Nothing else reads the
environment, and code reads `current_app.config[NAME]` without a default of its own.
"""

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'db' / 'certportal.sqlite3'}"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _text(name: str, raw: str) -> str:
    return raw


def _url(name: str, raw: str) -> str:
    """An address without its trailing slash, so paths can be appended."""
    return raw.rstrip("/")


def _web_address_or_none(name: str, raw: str) -> str:
    """An http(s) address to link to, or "none" (read as empty) for no link."""
    value = raw.strip()
    if value.lower() == "none":
        return ""
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must be an http:// or https:// address or none, got {raw!r}")
    return value


def _count(name: str, raw: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more, got {value}")
    return value


def _positive(name: str, raw: str) -> int:
    """A whole number, 1 or more."""
    value = _count(name, raw)
    if value == 0:
        raise ConfigError(f"{name} must be 1 or more, got 0")
    return value


def _seconds(name: str, raw: str) -> float:
    """A number of seconds, 0 or more."""
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= 0:  # also refuses NaN
        raise ConfigError(f"{name} must be 0 or more seconds, got {raw!r}")
    return value


def _badge_signing_key(name: str, raw: str) -> str:
    """An Ed25519 Multikey secret key (z3u2…), or empty: no badges are issued."""
    from certportal.domain import signing

    text = raw.strip()
    if text:
        try:
            signing.signing_key_from_text(text)
        except signing.KeyFormatError as error:
            raise ConfigError(f"{name}: {error}") from None
    return text


def _public_keys(name: str, raw: str) -> tuple[str, ...]:
    """Ed25519 Multikey public keys (z6Mk…), separated by spaces or commas."""
    from certportal.domain import signing

    keys = tuple(raw.replace(",", " ").split())
    for key in keys:
        try:
            signing.public_key_from_multibase(key)
        except signing.KeyFormatError as error:
            raise ConfigError(f"{name}: {key!r} is {error}") from None
    return keys

def _currency(name: str, raw: str) -> str:
    """An ISO 4217 code, upper case."""
    code = raw.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ConfigError(f"{name} must be a three-letter ISO 4217 code, got {raw!r}")
    return code


# "card" covers debit and credit cards. Stripe's PayPal sends the candidate away to PayPal and
# back to a return URL; it is not built yet (localstripe, which the tests run, has no PayPal).
PAYMENT_METHOD_CHOICES = ("card",)


def _payment_methods(name: str, raw: str) -> tuple[str, ...]:
    """A comma-separated list of payment methods, each once, in the order given."""
    methods = tuple(dict.fromkeys(
        method.strip().lower() for method in raw.split(",") if method.strip()
    ))
    if "paypal" in methods:
        raise ConfigError(f"{name}: PayPal is not available yet; use card (debit and credit)")
    if not methods or any(method not in PAYMENT_METHOD_CHOICES for method in methods):
        raise ConfigError(
            f"{name} must list one or more of {', '.join(PAYMENT_METHOD_CHOICES)}, got {raw!r}"
        )
    return methods


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (as the environment would spell it) and how its
    text is read. Unset or blank means the default."""

    name: str
    default: str
    parse: Callable[[str, str], object] = _text

    def read(self, env) -> object:
        raw = env.get(self.name, "")
        return self.parse(self.name, raw if raw.strip() else self.default)


# The connection pool: one per process, for SQLite and PostgreSQL alike. A sync gunicorn
# worker uses one connection at a time; threaded servers up to one per thread. Processes x
# DATABASE_POOL_SIZE must stay below PostgreSQL's max_connections.
DATABASE = (
    Setting("DATABASE_URL", DEFAULT_DATABASE_URL),
    # Most connections one process keeps open.
    Setting("DATABASE_POOL_SIZE", "20", _positive),
    # How long a request waits for a free pooled connection before it is answered 503
    # "try again in a moment" (0: not at all).
    Setting("DATABASE_POOL_TIMEOUT", "5", _seconds),
    # A connection older than this is closed and replaced when next checked out or in, so
    # server-side memory and a server failover are picked up without a restart.
    Setting("DATABASE_STALE_TIMEOUT", "300", _seconds),
    # How long opening a PostgreSQL connection may take (an unreachable host must not hang a
    # request).
    Setting("DATABASE_CONNECT_TIMEOUT", "5", _positive),
)

ENVIRONMENT = DATABASE + (
    # The public address: links in emails, QR codes and share links are built on it.
    Setting("BASE_URL", "http://127.0.0.1:5000", _url),
    # Empty: messages stay in the outbox table (development).
    Setting("MAIL_URL", ""),
    Setting("MAIL_FROM", "certportal@localhost"),
    Setting("PROGRAM_NAME", "Cisco"),
    # The organisation that issues the program's own candidate ID (Identification tab).
    Setting("PROGRAM_ORGANIZATION", "Cisco Systems, Inc."),
    # The program's own certification website: the header's "Certification Online" link.
    Setting("PROGRAM_SITE_URL",
            "https://www.cisco.com/site/us/en/learn/training-certifications/index.html",
            _web_address_or_none),
    Setting("RATELIMIT_STORAGE_URI", "memory://"),
    # Log-in attempts per client address, whatever the identifier.
    Setting("LOGIN_RATE_LIMIT", "20 per minute;200 per hour"),
    # First Time Login, Forgot password, set password and support cases: per IP, and per
    # submitted email address.
    Setting("MAPPING_RATE_LIMIT", "10 per minute;50 per hour"),
    Setting("MAPPING_ADDRESS_RATE_LIMIT", "3 per 15 minutes;10 per day"),
    # Transcript emails a candidate may send in 24 hours, so sharing cannot be used to spam.
    Setting("TRANSCRIPT_EMAILS_PER_DAY", "20", _count),
    # Public transcript and badge pages each process keeps as it last rendered them, to answer
    # third parties again without rendering while the page's facts are unchanged (a few
    # kilobytes each; 0 turns this off).
    Setting("PUBLIC_PAGES_KEPT", "2000", _count),
    # Public transcript pages (/t/<id>) per IP, so ids cannot be guessed nor views inflated.
    Setting("TRANSCRIPT_RATE_LIMIT", "60 per minute;600 per hour"),
    # The verification page, its QR link and the JSON API together, per IP, so codes cannot
    # be guessed through one of them with a fresh allowance from another.
    Setting("VERIFICATION_RATE_LIMIT", "60 per minute;600 per hour"),
    # Public badge pages (/badges/<id>) and their credentials together, per IP.
    Setting("BADGE_RATE_LIMIT", "60 per minute;600 per hour"),
    # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto to believe
    # (0: none, the direct peer is the client). Rate limits key on the real client.
    Setting("TRUSTED_PROXIES", "0", _count),
    # Self-submitted CE activities: the most points one activity may claim, and the folder
    # their evidence files are kept in (outside static/, served only through the portal;
    # empty: instance/uploads).
    Setting("CE_SUBMISSION_MAX_POINTS", "40", _positive),
    Setting("UPLOAD_DIR", ""),
    # Stripe (certportal.payments). STRIPE_API_BASE points at localstripe in development and
    # tests; empty means Stripe itself.
    Setting("STRIPE_API_KEY", ""),
    Setting("STRIPE_API_BASE", ""),
    Setting("STRIPE_PUBLISHABLE_KEY", ""),
    Setting("STRIPE_WEBHOOK_SECRET", ""),
    # The key that signs digital badges; generated into instance/ in development. Elsewhere,
    # empty means no badge is issued (set it, then `certs refresh` issues them). Every key
    # that signed is also kept in the database, so a rotated key stays published.
    Setting("BADGE_SIGNING_KEY", "", _badge_signing_key),
    # More public keys to publish as the issuer's (badges signed by a key this database
    # never recorded).
    Setting("BADGE_RETIRED_KEYS", "", _public_keys),
    # Kit orders (Certificates & Plaques): the currency kits are sold in, the "Tracking" fee
    # in its cents, and the payment methods offered ("card" covers debit and credit cards).
    Setting("KIT_CURRENCY", "USD", _currency),
    Setting("KIT_TRACKING_PRICE_CENTS", "1000", _count),
    Setting("PAYMENT_METHODS", "card", _payment_methods),
    # Card payments one candidate may attempt, so stolen card numbers cannot be tried out
    # through the payment page.
    Setting("PAYMENT_RATE_LIMIT", "10 per hour;30 per day"),
)

# Not read from the environment: the portal's policies, in one place.
FIXED = {
    # The CSRF token is bound to the session, which expires on its own; a timed token
    # would only fail forms left open for an hour.
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_HEADERS": ["X-CSRFToken"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
    # Staff sessions reach every candidate's data: they idle out sooner.
    "STAFF_SESSION_IDLE_TIMEOUT": timedelta(minutes=15),
    # Between a staff member's password and their TOTP code.
    "STAFF_SECOND_FACTOR_WINDOW": timedelta(minutes=5),
    # No "remember me": a login lasts as long as its server-side session, never a year.
    "REMEMBER_COOKIE_DURATION": timedelta(hours=12),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Failed log-ins per client address and identifier: this many are free, then the
    # wait before the next try doubles from the first delay up to the longest.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_FIRST_DELAY": timedelta(seconds=30),
    "LOGIN_MAX_DELAY": timedelta(minutes=15),
    # While the rate-limit store cannot be reached (Redis restarting), each process keeps
    # enforcing the limits on its own, in memory, and goes back to the store once it answers:
    # no request fails for it, and no limit is lifted.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Request bodies: forms are small; a view that takes uploads raises its own limit.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "FORM_MAX_BYTES": 64 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 200,
}


def _development_file_secret(instance_path: str, name: str, make: Callable[[], str]) -> str:
    """A secret generated once per instance folder (readable by its owner only) and read
    back on every start, so development sessions and badges survive restarts."""
    key_file = Path(instance_path) / name
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = make()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _development_secret_key(instance_path: str) -> str:
    return _development_file_secret(instance_path, "secret_key", lambda: secrets.token_hex(32))


def _development_badge_signing_key(instance_path: str) -> str:
    from certportal.domain import signing

    return _development_file_secret(
        instance_path,
        "badge_signing_key",
        lambda: signing.signing_key_to_text(signing.generate_signing_key()),
    )


def _secret_key(env, overrides: dict, development: bool, instance_path: str) -> str:
    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if secret_key:
        return secret_key
    if not development:
        raise ConfigError(
            "SECRET_KEY is required. Set it to a long random string, "
            "or set CERTPORTAL_ENV=development to generate one for local use."
        )
    return _development_secret_key(instance_path)


def _rate_limit_storage(uri: str) -> dict:
    """Where Flask-Limiter counts: in this process (memory://, one process only) or in a store
    every process shares (redis://host:port/db), so N allowed means N across all of them."""
    shared = uri.startswith(("redis://", "rediss://", "redis+unix://"))
    # A store that hangs must not hang requests: give up on it after a second.
    return {
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if shared else {}
        ),
    }


def _over_https(base_url: str) -> dict:
    """Cookie and URL settings that follow from the scheme of BASE_URL."""
    https = base_url.startswith("https://")
    return {
        # Over HTTPS the __Host- prefix makes browsers refuse the cookie from a subdomain or
        # over plain HTTP.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
    }


def database_settings(env=None) -> dict:
    """The database settings alone (scripts and tests bind a database without an app)."""
    env = os.environ if env is None else env
    return {setting.name: setting.read(env) for setting in DATABASE}


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """The configuration for this process: environment variables, then `overrides`.

    An override of BASE_URL counts before the settings derived from it (cookies).
    """
    env = os.environ
    overrides = overrides or {}
    development = env.get("CERTPORTAL_ENV", "production") == "development"
    settings = {setting.name: setting.read(env) for setting in ENVIRONMENT}
    if overrides.get("BASE_URL"):
        settings["BASE_URL"] = _url("BASE_URL", overrides["BASE_URL"])
    settings.update(FIXED)
    settings.update(_over_https(settings["BASE_URL"]))
    settings.update(_rate_limit_storage(settings["RATELIMIT_STORAGE_URI"]))
    settings.update(
        DEVELOPMENT=development,
        SECRET_KEY=_secret_key(env, overrides, development, instance_path),
        # Uploaded import files wait here, under random names, until applied.
        STAFF_UPLOAD_DIR=os.path.join(instance_path, "uploads", "imports"),
    )
    if development and not (overrides.get("BADGE_SIGNING_KEY") or settings["BADGE_SIGNING_KEY"]):
        settings["BADGE_SIGNING_KEY"] = _development_badge_signing_key(instance_path)
    if not settings["UPLOAD_DIR"]:
        settings["UPLOAD_DIR"] = str(Path(instance_path) / "uploads")
    settings.update({key: value for key, value in overrides.items() if key != "BASE_URL"})
    return settings
