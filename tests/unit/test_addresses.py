"""Shipping address rules with real countries' data; the Roman-only panel under hypothesis."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certportal.domain.addresses import (
    FIELDS,
    LOCALIZED_PANEL,
    AddressInvalid,
    address_rules,
    clean_shipping_address,
    countries,
    country_code_for,
    phone_e164,
)
from certportal.models import Candidate

JOHN_IN_RALEIGH = {
    "first_name": "John", "last_name": "Doe", "email": "john.doe@example.com",
    "phone": "(919) 555-0100", "address_line1": "1 Fayetteville St", "address_line2": "",
    "city": "Raleigh", "state": "NC", "postal_code": "27601", "country": "US",
}


def address(**changes):
    return {**JOHN_IN_RALEIGH, **changes}


def errors_for(values) -> dict[str, str]:
    with pytest.raises(AddressInvalid) as invalid:
        clean_shipping_address(values)
    return invalid.value.errors


# -- United States ----------------------------------------------------------------------------

def test_a_us_address_is_stored_with_its_state_name_code_and_e164_phone():
    cleaned = clean_shipping_address(address())

    assert cleaned.phone == "+19195550100"
    assert (cleaned.state, cleaned.state_code) == ("North Carolina", "NC")
    assert (cleaned.country, cleaned.country_code) == ("United States", "US")
    assert cleaned.postal_code == "27601"
    assert cleaned.as_dict()["city"] == "Raleigh"


@pytest.mark.parametrize("state", ["NC", "nc", "North Carolina", "  north   CAROLINA "])
def test_a_us_state_is_recognised_by_code_or_name(state):
    assert clean_shipping_address(address(state=state)).state == "North Carolina"


def test_a_zip_code_must_belong_to_the_state():
    assert clean_shipping_address(address(postal_code="27601-1234")).postal_code == "27601-1234"

    message = errors_for(address(postal_code="90210"))["postal_code"]
    assert message.startswith("Check the ZIP code")
    assert "North Carolina, United States" in message
    assert "for example 27" in message
    assert set(errors_for(address(postal_code="2760"))) == {"postal_code"}


def test_a_us_address_needs_a_state_and_a_zip_code_from_the_list():
    assert errors_for(address(state="", postal_code="")) == {
        "state": "Choose your state.",
        "postal_code": "Enter your ZIP code.",
    }
    assert errors_for(address(state="Narnia"))["state"] == (
        "Choose your state from the list for United States.")


def test_an_empty_form_names_every_missing_field_in_form_order():
    errors = errors_for({"country": "US"})

    assert list(errors) == ["first_name", "last_name", "email", "phone", "address_line1",
                            "city", "state", "postal_code"]
    assert errors["first_name"] == "Enter your first name."


def test_email_and_phone_must_be_usable():
    errors = errors_for(address(email="john.doe", phone="12"))

    assert errors["email"] == "Enter an email address like name@example.com."
    assert "United States" in errors["phone"] and "+" in errors["phone"]


# -- other countries ----------------------------------------------------------------------------

def test_a_canadian_postal_code_is_upper_cased_and_must_match_the_province():
    cleaned = clean_shipping_address(address(
        country="Canada", state="Québec", city="Montréal", postal_code="h3z 2y7",
        phone="514 555 0199"))

    assert (cleaned.state, cleaned.state_code, cleaned.postal_code) == ("Québec", "QC", "H3Z 2Y7")
    assert cleaned.city == "Montréal"
    # A British Columbia postal code is not one of Quebec's.
    assert "postal_code" in errors_for(address(country="CA", state="QC", city="Montréal",
                                               postal_code="V8X 3X4", phone="514 555 0199"))


def test_a_british_postcode_is_checked_and_no_county_is_required():
    london = address(country="GB", state="", city="London", postal_code="sw1a 1aa",
                     phone="020 7946 0958")

    cleaned = clean_shipping_address(london)
    assert (cleaned.postal_code, cleaned.phone) == ("SW1A 1AA", "+442079460958")
    assert "postal_code" in errors_for({**london, "postal_code": "12345"})


def test_a_german_postal_code_has_five_digits():
    berlin = address(country="Germany", state="", city="Berlin", postal_code="10117",
                     address_line1="Unter den Linden 1", phone="030 901820")

    assert clean_shipping_address(berlin).phone == "+4930901820"
    assert errors_for({**berlin, "postal_code": "1011"})["postal_code"] == (
        "Check the postal code: it does not fit Germany (for example 26133).")


def test_a_japanese_address_keeps_the_prefecture_in_roman_and_names_in_the_localized_panel():
    tokyo = address(country="JP", state="東京都", city="Setagaya-ku", postal_code="154-0023",
                    address_line1="1-2-3 Sangenjaya", phone="03-1234-5678",
                    first_name="Taro", last_name="Yamada",
                    localized_first_name="太郎", localized_last_name="山田",
                    localized_address_line1="三軒茶屋1-2-3", localized_city="世田谷区",
                    localized_state="東京都", localized_postal_code="１５４－００２３")

    cleaned = clean_shipping_address(tokyo)

    assert (cleaned.state, cleaned.state_code) == ("Tokyo", "東京都")
    assert (cleaned.localized_last_name, cleaned.localized_first_name) == ("山田", "太郎")
    assert cleaned.localized_postal_code == "１５４－００２３"
    assert cleaned.phone == "+81312345678"
    # Japan writes the city inside the street address: the city is not required there.
    assert "city" not in address_rules("JP").required
    assert clean_shipping_address({**tokyo, "city": ""}).city == ""


def test_a_chinese_address_takes_the_province_as_people_write_it():
    shanghai = address(country="China", state="Shanghai", city="Shanghai",
                       postal_code="200001", address_line1="100 Nanjing East Rd, Huangpu",
                       phone="138 0013 8000", first_name="Mei", last_name="Wang",
                       localized_first_name="美", localized_last_name="王")

    cleaned = clean_shipping_address(shanghai)
    assert (cleaned.state, cleaned.state_code) == ("Shanghai Shi", "上海市")
    assert cleaned.city == "Shanghai"
    guangdong = {**shanghai, "state": "guangdong", "city": "Shenzhen", "postal_code": "518000"}
    assert clean_shipping_address(guangdong).state == "Guangdong Sheng"


@pytest.mark.parametrize("name", ["王美", "Ελένη", "Мария", "김민준"])
def test_a_name_in_another_script_is_refused_and_pointed_to_the_localized_panel(name):
    errors = errors_for(address(first_name=name))

    assert list(errors) == ["first_name"]
    assert LOCALIZED_PANEL in errors["first_name"]
    assert "English (Roman) alphabet" in errors["first_name"]
    assert clean_shipping_address(address(localized_first_name=name)).localized_first_name == name


def test_hong_kong_needs_an_area_but_has_no_postal_code():
    kowloon = address(country="HK", state="Kowloon", city="Mong Kok", postal_code="",
                      address_line1="1 Nathan Rd", phone="2345 6789")

    cleaned = clean_shipping_address(kowloon)
    assert (cleaned.state, cleaned.postal_code, cleaned.phone) == ("Kowloon", "", "+85223456789")
    assert not address_rules("HK").uses_postal_code
    # A made-up code typed anyway is not stored, and does not stop the order.
    assert clean_shipping_address({**kowloon, "postal_code": "999077"}).postal_code == ""
    assert errors_for({**kowloon, "state": ""}) == {"state": "Choose your area."}


def test_an_irish_eircode_is_optional_but_checked_when_given():
    dublin = address(country="IE", state="Dublin", city="Dublin", postal_code="",
                     address_line1="1 O'Connell St", phone="01 234 5678")

    cleaned = clean_shipping_address(dublin)
    assert (cleaned.state, cleaned.postal_code, cleaned.phone) == ("Co. Dublin", "", "+35312345678")
    assert clean_shipping_address({**dublin, "postal_code": "d01 f5p2"}).postal_code == "D01 F5P2"
    assert errors_for({**dublin, "postal_code": "12345"})["postal_code"].startswith(
        "Check the Eircode")


# -- text rules --------------------------------------------------------------------------------

def test_accented_latin_names_and_address_punctuation_are_roman():
    cleaned = clean_shipping_address(address(
        first_name="Ana María", last_name="Núñez-O'Brien", address_line1="Calle 5 #2-10, 2º B",
        address_line2="c/o Łukasz Żółć & Søren Ærø"))

    assert cleaned.last_name == "Núñez-O'Brien"
    assert cleaned.address_line2 == "c/o Łukasz Żółć & Søren Ærø"


def test_roman_fields_take_full_width_letters_as_plain_ones_and_collapse_spaces():
    cleaned = clean_shipping_address(
        address(first_name="Ｔａｒｏ", address_line1=" 1\tMain \n St "))

    assert (cleaned.first_name, cleaned.address_line1) == ("Taro", "1 Main St")


def test_accents_count_only_on_latin_letters():
    # n with a diaeresis has no single character: the accent stays a combining mark.
    assert clean_shipping_address(address(last_name="Spin\u0308al")).last_name == "Spin\u0308al"
    assert "last_name" in errors_for(address(last_name="\u0301\u0302"))
    assert "last_name" in errors_for(address(last_name="Ὰ\u0301"))


def test_control_and_direction_override_characters_are_refused_in_every_panel():
    errors = errors_for(address(address_line2="Flat\x001", localized_city="東京\u202e都"))

    assert set(errors) == {"address_line2", "localized_city"}
    assert "control characters" in errors["localized_city"]


def test_lengths_are_the_candidate_columns_own():
    longest = Candidate.address_line1.max_length
    assert clean_shipping_address(address(address_line1="a" * longest))
    assert errors_for(address(address_line1="a" * (longest + 1))) == {
        "address_line1": f"Use at most {longest} characters."}
    longest_name = Candidate.localized_last_name.max_length
    assert errors_for(address(localized_last_name="山" * (longest_name + 1))) == {
        "localized_last_name": f"Use at most {longest_name} characters."}


# -- countries and phones -----------------------------------------------------------------------

def test_the_country_list_is_iso_3166_sorted_by_name():
    listed = countries()

    assert len(listed) == 249
    assert ("US", "United States") in [(country.code, country.name) for country in listed]
    names = [country.name for country in listed]
    assert names.index("Åland Islands") < names.index("Albania")
    assert names.index("Côte d'Ivoire") < names.index("Croatia")


@pytest.mark.parametrize(("typed", "code"), [
    ("US", "US"), ("us", "US"), ("USA", "US"), ("United States", "US"), ("China", "CN"),
    ("Spain", "ES"), ("South Korea", "KR"), ("Bolivia", "BO"), ("Narnia", None), ("", None),
])
def test_a_country_is_found_by_code_or_name(typed, code):
    assert country_code_for(typed) == code


def test_an_unknown_country_is_refused_beside_the_country_field():
    assert errors_for(address(country="Narnia")) == {
        "country": "Choose your country from the list."}


@pytest.mark.parametrize(("typed", "country", "e164"), [
    ("919-555-0100", "US", "+19195550100"),
    ("+44 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("2345 6789", "HK", "+85223456789"),
    ("12", "US", None),
    ("call me", "US", None),
])
def test_phone_numbers_are_read_in_the_address_country_and_stored_e164(typed, country, e164):
    assert phone_e164(typed, country) == e164


# -- the Roman check never lets another script through ----------------------------------------

# Letters of scripts that are certainly not Latin, by Unicode block.
NON_LATIN_BLOCKS = [
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0530, 0x058F),  # Armenian
    (0x0590, 0x05FF),  # Hebrew
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x0E00, 0x0E7F),  # Thai
    (0x10A0, 0x10FF),  # Georgian
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7A3),  # Hangul Syllables
]
non_latin_letters = st.one_of(
    [st.characters(min_codepoint=low, max_codepoint=high, categories=["L"])
     for low, high in NON_LATIN_BLOCKS]
)
latin_text = st.text(st.sampled_from("abcXYZ ñéüßøÆŁ-'.,0123456789"), max_size=20)

# Everything the Unicode standard names as a Latin letter lives in these blocks.
LATIN_BLOCKS = [
    (0x0041, 0x005A), (0x0061, 0x007A), (0x00AA, 0x00AA), (0x00BA, 0x00BA),
    (0x00C0, 0x024F), (0x0250, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF),
    (0x2090, 0x209C), (0x2184, 0x2184), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
    (0xFB00, 0xFB06), (0x10780, 0x107BF), (0x1DF00, 0x1DFFF),
]


def in_latin_block(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in LATIN_BLOCKS)


@settings(max_examples=200, deadline=None)
@given(before=latin_text, letter=non_latin_letters, after=latin_text)
def test_no_name_with_a_non_latin_letter_passes_the_roman_panel(before, letter, after):
    name = (before + letter + after)[:100]
    errors = errors_for(address(last_name=name))
    assert LOCALIZED_PANEL in errors["last_name"]


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=60))
def test_whatever_the_roman_panel_accepts_has_only_latin_letters(name):
    try:
        cleaned = clean_shipping_address(address(last_name=name))
    except AddressInvalid:
        return
    letters = [char for char in cleaned.last_name if unicodedata.category(char).startswith("L")]
    assert all(in_latin_block(char) for char in letters), cleaned.last_name


@settings(max_examples=100, deadline=None)
@given(name=st.text(st.sampled_from(
    "ABCXYZabcxyzÀÉÎÕÜÇÑßàéîõüçñøåæœłśźżđğışţ0123456789 -'.,&/()"), min_size=1, max_size=60))
def test_latin_names_digits_and_punctuation_are_always_accepted(name):
    if not name.strip():
        return
    assert clean_shipping_address(address(last_name=name)).last_name == " ".join(name.split())


def test_every_field_of_the_form_is_a_candidate_column():
    columns = set(Candidate._meta.fields)
    assert set(FIELDS) <= columns
