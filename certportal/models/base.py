"""The model base class and the helpers every table uses."""

import secrets
from datetime import UTC, datetime

from peewee import DateTimeField, Model

from certportal.db import database

# Crockford's base32 (no I, L, O, U): 5 bits a character, easy to read aloud and type.
READABLE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: every stored time is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def random_code(length: int, alphabet: str = READABLE_ALPHABET) -> str:
    """A random public identifier; 16 characters of this alphabet carry 80 bits."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class TimestampedModel(BaseModel):
    created_at = DateTimeField(default=utcnow)
