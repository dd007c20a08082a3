"""Mapping rules: name folding, password rules, support-case login IDs."""

import pytest

from certportal.domain import mapping
from certportal.domain.mapping import fold_name, is_email_address
from certportal.domain.passwords import common_passwords, password_problem
from certportal.domain.support import normalize_login_ids


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("NÚÑEZ", "Núñez"),
        ("  nunez ", "Núñez"),
        ("Müller", "MULLER"),
        ("van  der Berg", "Van der Berg"),
        ("ßtraße", "SSTRASSE"),
        ("王", "王"),
    ],
)
def test_last_names_match_without_case_accents_or_extra_spaces(typed, stored):
    assert fold_name(typed) == fold_name(stored)


def test_different_names_do_not_match():
    assert fold_name("Nunes") != fold_name("Núñez")
    assert fold_name("   ") == ""


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("a" * 11, "at least 12"),
        ("b" * 129, "at most 128"),
        ("aaaaaaaaaaaaaaaa", "most common"),
        ("QWERTY123456", "most common"),
        ("1q2w3e4r5t6y", "most common"),
    ],
)
def test_refused_passwords(password, refused):
    assert refused in password_problem(password)


@pytest.mark.parametrize(
    "password",
    ["correcthorsebattery", "x" * 11 + "y", "😀 emoji passwords are fine", "c" * 127 + "d"],
)
def test_no_composition_rules(password):
    assert password_problem(password) is None


def test_the_shipped_list_is_loaded_without_its_comments():
    listed = common_passwords()
    assert len(listed) > 200
    assert "qwerty123456" in listed
    assert not any(entry.startswith("# ") for entry in listed)


def test_email_addresses():
    assert is_email_address("ana.nunez@certportal.example")
    assert not is_email_address("ana")
    assert not is_email_address("a b@example.org")
    assert not is_email_address("a@" + "b" * 260 + ".org")


def test_login_ids_are_normalized():
    assert normalize_login_ids("csco1, CSCO2;csco1\nCSCO3") == "CSCO1, CSCO2, CSCO3"
    assert normalize_login_ids("") == ""


def test_a_masked_address_keeps_only_first_letters_and_the_top_level_domain():
    assert mapping.mask_email("new.owner@example.org") == "n***@e***.org"
    assert mapping.mask_email(" ana@mail.new-employer.example ") == "a***@m***.example"
    assert mapping.mask_email("odd@localhost") == "o***@***"


def test_registration_key_ignores_case_and_surrounding_spaces():
    assert mapping.registration_key("  vue-92000002\t") == mapping.registration_key(
        "VUE-92000002"
    )


def test_one_rule_for_an_email_address_everywhere():
    for address in ("name@example.com", "first.last+tag@mail.example.org", "王@例子.中国"):
        assert mapping.is_email_address(address)
        assert mapping.email_address_problem(f"  {address} ") is None
    # Two addresses, a display name, a header-breaking character: never one address.
    for text in ("a@example.com, b@example.com", "a@example.com;b@example.com",
                 "Ana <ana@example.com>", '"ana"@example.com', "ana@example", "ana@@example.com",
                 "", "a" * 250 + "@x.org"):
        assert not mapping.is_email_address(text)
        assert mapping.email_address_problem(text) == mapping.EMAIL_MESSAGE
