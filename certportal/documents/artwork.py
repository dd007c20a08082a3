"""The portal's own logo artwork: an SVG drawn from a template, and the same as PNG.

The logos are generated per certification (its abbreviation, name and level colour; a
gold ring and the number of years for an achievement logo): no other company's marks.
PNG comes from the SVG through CairoSVG, so both formats show the same drawing; CairoSVG
renders locally with libcairo (already on every machine that runs Chromium) and needs
no network or browser.
"""

import hashlib
import textwrap
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PNG_WIDTH = 600

# Level colours by abbreviation; any other certification gets one chosen by its code.
LEVEL_COLOURS = {
    "CCENT": "#2f6f4f",
    "CCNA": "#1d5c96",
    "CCNP": "#6b3fa0",
    "CCIE": "#0b3a5b",
    "CCDE": "#7a2e39",
    "Specialist": "#2c6e74",
}
OTHER_COLOURS = ("#35506b", "#5b4a2f", "#2f5b3a", "#5a2f5b")

# Its own small environment, unlike the PDF (which renders with the app's): the SVG's text
# must not carry the blank lines and indentation of template tags (trim_blocks), and logos are
# drawn outside any request too (badge baking, benchmarks), as a cached pure function.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("svg",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _colour(code: str, abbreviation: str) -> str:
    if abbreviation in LEVEL_COLOURS:
        return LEVEL_COLOURS[abbreviation]
    digest = hashlib.sha256(code.encode()).digest()
    return OTHER_COLOURS[digest[0] % len(OTHER_COLOURS)]


@lru_cache(maxsize=256)
def _name_below(abbreviation: str, name: str) -> str:
    """The words of the name the large abbreviation above does not already say: nothing for
    "CCNA", "Enterprise" for "CCNP Enterprise", the whole name otherwise."""
    if name.casefold() == abbreviation.casefold():
        return ""
    if name.casefold().startswith(abbreviation.casefold() + " "):
        return name[len(abbreviation) + 1 :]
    return name


def logo_svg(
    certification_code: str,
    abbreviation: str,
    certification_name: str,
    program_name: str,
    milestone_years: int | None = None,
) -> str:
    """The logo as an SVG document (a pure function of its inputs, so it is cached)."""
    lines = textwrap.wrap(_name_below(abbreviation, certification_name), 30)[:2]
    return _environment.get_template("documents/logo.svg").render(
        abbreviation=abbreviation,
        name_lines=lines,
        program_name=program_name,
        milestone_years=milestone_years,
        colour=_colour(certification_code, abbreviation),
    )


@lru_cache(maxsize=256)
def svg_to_png(svg: str, width: int = PNG_WIDTH) -> bytes:
    import cairosvg  # loads libcairo: only when a PNG is asked for

    return cairosvg.svg2png(bytestring=svg.encode(), output_width=width)
