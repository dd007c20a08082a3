"""Settings read from the environment; see the README's configuration table."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'db' / 'certportal.sqlite3'}"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _development_secret_key(instance_path: str) -> str:
    """Generate a key once per instance folder so development sessions survive restarts."""
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _non_negative_int(env, name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more, got {value}")
    return value


def _positive_int(env, name: str, default: int) -> int:
    value = _non_negative_int(env, name, default)
    if value == 0:
        raise ConfigError(f"{name} must be 1 or more, got 0")
    return value


def _seconds(env, name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= 0:  # also refuses NaN
        raise ConfigError(f"{name} must be 0 or more seconds, got {raw!r}")
    return value


def _rate_limit_storage(env) -> dict:
    """Where Flask-Limiter counts: in this process (memory://, one process only) or in a store
    every process shares (redis://host:port/db), so N allowed means N across all of them."""
    uri = env.get("RATELIMIT_STORAGE_URI", "memory://")
    shared = uri.startswith(("redis://", "rediss://", "redis+unix://"))
    return {
        "RATELIMIT_STORAGE_URI": uri,
        # A store that hangs must not hang requests: give up on it after a second.
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if shared else {}
        ),
        # While the store cannot be reached (Redis restarting), each process keeps enforcing
        # the limits on its own, in memory, and goes back to the store once it answers: no
        # request fails for it, and no limit is lifted.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def database_settings(env=None) -> dict:
    """The connection pool: one per process, for SQLite and PostgreSQL alike.

    A sync gunicorn worker uses one connection at a time; threaded servers up to one per
    thread. Processes x DATABASE_POOL_SIZE must stay below PostgreSQL's max_connections.
    """
    env = os.environ if env is None else env
    return {
        # Most connections one process keeps open.
        "DATABASE_POOL_SIZE": _positive_int(env, "DATABASE_POOL_SIZE", 20),
        # How long a request waits for a free pooled connection before it is answered 503
        # "try again in a moment" (0: not at all).
        "DATABASE_POOL_TIMEOUT": _seconds(env, "DATABASE_POOL_TIMEOUT", 5.0),
        # A connection older than this is closed and replaced when next checked out or in,
        # so server-side memory and a server failover are picked up without a restart.
        "DATABASE_STALE_TIMEOUT": _seconds(env, "DATABASE_STALE_TIMEOUT", 300.0),
        # How long opening a PostgreSQL connection may take (an unreachable host must not
        # hang a request).
        "DATABASE_CONNECT_TIMEOUT": _positive_int(env, "DATABASE_CONNECT_TIMEOUT", 5),
    }


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """The configuration for this process: environment variables, then `overrides`."""
    env = os.environ
    overrides = overrides or {}
    development = env.get("CERTPORTAL_ENV", "production") == "development"
    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret_key:
        if not development:
            raise ConfigError(
                "SECRET_KEY is required. Set it to a long random string, "
                "or set CERTPORTAL_ENV=development to generate one for local use."
            )
        secret_key = _development_secret_key(instance_path)
    base_url = (overrides.get("BASE_URL") or env.get("BASE_URL", "http://127.0.0.1:5000")).rstrip("/")
    https = base_url.startswith("https://")
    settings = {
        "DEVELOPMENT": development,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        "BASE_URL": base_url,
        "MAIL_URL": env.get("MAIL_URL", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "certportal@localhost"),
        "PROGRAM_NAME": env.get("PROGRAM_NAME", "Cisco"),
        # The organisation that issues the program's own candidate ID (Identification tab).
        "PROGRAM_ORGANIZATION": env.get("PROGRAM_ORGANIZATION", "Cisco Systems, Inc."),
        **_rate_limit_storage(env),
        "LOAD_DEMO_DATA": development,
        # Transcript emails a candidate may send in 24 hours, so sharing cannot be used to spam.
        "TRANSCRIPT_EMAILS_PER_DAY": int(env.get("TRANSCRIPT_EMAILS_PER_DAY", "20")),
        # Public transcript pages (/t/<id>) per IP, so ids cannot be guessed nor views inflated.
        "TRANSCRIPT_RATE_LIMIT": env.get("TRANSCRIPT_RATE_LIMIT", "60 per minute;600 per hour"),
        # Verification page, its QR link and the JSON API together, per IP: codes cannot be
        # guessed.
        "VERIFICATION_RATE_LIMIT": env.get(
            "VERIFICATION_RATE_LIMIT", "60 per minute;600 per hour"
        ),
        # Sessions: a signed cookie carries only the id of a server-side session record.
        "SESSION_COOKIE_HTTPONLY": True,
        # Over HTTPS the __Host- prefix makes browsers refuse the cookie from a subdomain or
        # over plain HTTP.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        # No "remember me": a login lasts as long as its server-side session, never a year.
        "REMEMBER_COOKIE_DURATION": timedelta(hours=12),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        # The CSRF token is bound to the session, which expires on its own; a timed token
        # would only fail forms left open for an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        # Failed log-ins per client address and identifier: this many are free, then the
        # wait before the next try doubles from the first delay up to the longest.
        "LOGIN_FREE_FAILURES": 5,
        "LOGIN_FIRST_DELAY": timedelta(seconds=30),
        "LOGIN_MAX_DELAY": timedelta(minutes=15),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "20 per minute;200 per hour"),
        # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto to believe
        # (0: none, the direct peer is the client). Rate limits key on the real client.
        "TRUSTED_PROXIES": _non_negative_int(env, "TRUSTED_PROXIES", 0),
        # Request bodies: forms are small; a view that takes uploads raises its own limit.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "FORM_MAX_BYTES": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 200,
        # Issue 3: First Time Login, Forgot password and support cases, per IP and per address.
        "MAPPING_RATE_LIMIT": env.get("MAPPING_RATE_LIMIT", "10 per minute;50 per hour"),
        "MAPPING_ADDRESS_RATE_LIMIT": env.get(
            "MAPPING_ADDRESS_RATE_LIMIT", "3 per 15 minutes;10 per day"
        ),
    }
    settings.update(database_settings(env))
    settings.update(_payment_settings(env))
    settings.update({key: value for key, value in overrides.items() if key != "BASE_URL"})
    return settings


def _payment_settings(env) -> dict:
    """Stripe (certportal.payments). STRIPE_API_BASE points at localstripe in development
    and tests; empty means Stripe itself."""
    return {
        name: env.get(name, "")
        for name in (
            "STRIPE_API_KEY",
            "STRIPE_API_BASE",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
        )
    }
