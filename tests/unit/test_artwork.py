"""Logos say the certification once: the large abbreviation, then only the name's other words."""

import re

import pytest

from certportal.documents.artwork import logo_svg


def visible_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.parametrize(
    ("abbreviation", "name", "below"),
    [("CCNA", "CCNA", []),
     ("CCNA", "ccna", []),
     ("CCNP", "CCNP Enterprise", ["Enterprise"]),
     ("CCIE", "CCIE Enterprise Infrastructure", ["Enterprise Infrastructure"]),
     ("CCDE", "Cisco Certified Design Expert", ["Cisco Certified Design Expert"]),
     ("CCNA", "CCNAX Labs", ["CCNAX Labs"])],
)
def test_the_abbreviation_is_not_repeated_below_it(abbreviation, name, below):
    texts = visible_texts(logo_svg(f"X-{abbreviation}", abbreviation, name, "Cisco"))
    assert texts == ["CISCO CERTIFIED", abbreviation, *below]
