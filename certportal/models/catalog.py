"""The program's catalog: exams, certifications, agreements, logos and kits (db/catalog/*.toml)."""

import json

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from certportal.models.base import BaseModel, utcnow


class JSONTextField(TextField):
    """JSON stored as text, so it reads the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class Exam(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200)
    # How long a passed result counts toward requirements; None = it never lapses.
    validity_months = IntegerField(null=True)
    retired = BooleanField(default=False)


class Certification(BaseModel):
    code = CharField(max_length=32, unique=True)
    abbreviation = CharField(max_length=32)
    name = CharField(max_length=200)
    group_name = CharField(max_length=200)
    group_order = IntegerField(default=0)
    sort_order = IntegerField(default=0)
    validity_months = IntegerField()
    # "expiration": a recertification extends from the old expiry; "completion": from the day.
    recertify_from = CharField(max_length=16, default="expiration")
    earn_tree = JSONTextField()
    recertify_tree = JSONTextField(null=True)
    renews = JSONTextField(default=list)
    pdf_certificate = BooleanField(default=True)
    description = TextField(default="")

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.abbreviation})"


class Agreement(BaseModel):
    code = CharField(max_length=32, unique=True)
    kind = CharField(max_length=16)  # certification | logo
    name = CharField(max_length=200)
    version = CharField(max_length=16)
    text = TextField()
    is_current = BooleanField(default=True)


class LogoFile(BaseModel):
    code = CharField(max_length=64, unique=True)
    certification = ForeignKeyField(Certification, on_delete="CASCADE", backref="logos")
    title = CharField(max_length=200)
    # None for the certification's own logo; 10, 15, 20 … for an achievement logo.
    milestone_years = IntegerField(null=True)
    sort_order = IntegerField(default=0)


class FulfillmentItem(BaseModel):
    code = CharField(max_length=64, unique=True)
    certification = ForeignKeyField(Certification, on_delete="CASCADE", backref="kits")
    name = CharField(max_length=200)
    kind = CharField(max_length=32)  # Certificate | Plaque | Letter
    # The price of the kit claimed with an earning of its certification (the guide's free
    # initial kit), once per earning; every further copy costs additional_price_cents.
    initial_price_cents = IntegerField(default=0)
    additional_price_cents = IntegerField()
    currency = CharField(max_length=3, default="USD")
    # Whether a recertification is an earning that brings the initial price again.
    free_on_recertification = BooleanField(default=False)


class CatalogLoad(BaseModel):
    """One `catalog load`: whether it was loaded, and every error when it was refused."""

    loaded_at = DateTimeField(default=utcnow, index=True)
    directory = CharField(max_length=255, default="")
    succeeded = BooleanField(default=False)
    summary = TextField(default="")
    errors = JSONTextField(default=list)
