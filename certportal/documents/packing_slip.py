"""Packing slips: one PDF per order, for the box, with the shipping address in both the Roman
and the localized form (the carrier reads one, the local post office the other).

Rendered by xhtml2pdf with the certificate's fonts (DejaVu for Latin scripts, WenQuanYi Zen
Hei for CJK), registered once per process by documents/pdf.py.
"""

import io

from flask import current_app

from certportal.documents.pdf import MINIMAL_DEFAULT_CSS, register_fonts

TEMPLATE = "documents/packing_slip.html"
ROMAN_LINES = (("first_name", "last_name"), ("address_line1",), ("address_line2",),
               ("city", "state", "postal_code"), ("country",))
LOCALIZED_LINES = (("localized_postal_code",), ("localized_state", "localized_city"),
                   ("localized_address_line1",), ("localized_address_line2",),
                   ("localized_last_name", "localized_first_name"))


def address_lines(ship_to: dict, layout, separator: str = " ") -> list[str]:
    """The address as printed lines, empty lines left out."""
    lines = []
    for names in layout:
        text = separator.join(str(ship_to.get(name) or "").strip() for name in names).strip()
        if text:
            lines.append(text)
    return lines


def packing_slip_pdf(order, lines) -> bytes:
    from xhtml2pdf import pisa

    register_fonts()
    ship_to = order.ship_to or {}
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        order=order,
        lines=lines,
        roman=address_lines(ship_to, ROMAN_LINES),
        # East Asian addresses run from the largest unit down and need no spaces.
        localized=address_lines(ship_to, LOCALIZED_LINES, separator=""),
        phone=ship_to.get("phone", ""),
        program_name=current_app.config["PROGRAM_NAME"],
    )
    output = io.BytesIO()
    status = pisa.CreatePDF(html, dest=output, default_css=MINIMAL_DEFAULT_CSS,
                            encoding="utf-8")
    if status.err:
        raise RuntimeError(f"xhtml2pdf reported {status.err} error(s) for a packing slip")
    return output.getvalue()
