"""PDF certificates: xhtml2pdf with embedded Unicode and CJK fonts, and a QR code.

The fonts are registered with ReportLab once per process, under names the certificate's
CSS uses, instead of an @font-face that xhtml2pdf would load (and parse a 17 MB .ttc) on
every document; nothing is read from outside the font folders below. Rendered PDFs are
kept in a small in-process cache keyed by a hash of everything printed on them, so a repeat
download of an unchanged certificate costs no rendering.
"""

import base64
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import segno
from flask import current_app

from certportal.domain.certificates import CertificateContent

log = logging.getLogger(__name__)

# Rendered by the app's Jinja environment: the same loader, autoescaping and filters
# (guide_date) as every page.
TEMPLATE = "documents/certificate.html"

# (name used in the certificate's CSS, candidate font files, subfont index in a .ttc).
# No bold face: every embedded font is subset on every render, and a third one cost ~10%
# of the rendering time; size and colour set the headings apart instead.
FONTS = (
    ("certportal-sans", ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",), 0),
    (
        "certportal-cjk",
        (
            "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
            "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
        ),
        0,
    ),
)
FONT_PACKAGES = "fonts-dejavu-core and fonts-wqy-zenhei"

# Only what the certificate uses: xhtml2pdf's own default stylesheet costs a third of the
# rendering time to parse and styles elements the certificate does not have.
MINIMAL_DEFAULT_CSS = """
html, body, div, p, h1, h2, span, table, tr, td, img { display: block; }
span, img { display: inline; }
table { display: table; } tr { display: table-row; } td { display: table-cell; }
b, strong { font-weight: bold; }
"""

CACHE_SIZE = 512
QR_MASK = 0
QR_SCALE = 4

_fonts_lock = threading.Lock()
_fonts_ready = False
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class FontMissingError(RuntimeError):
    """A font the certificate embeds is not installed."""


def register_fonts() -> None:
    """Load the certificate fonts into ReportLab and xhtml2pdf once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from xhtml2pdf import default

        for name, candidates, subfont in FONTS:
            path = next((p for p in candidates if Path(p).exists()), None)
            if path is None:
                raise FontMissingError(
                    f"font for {name} not found in {candidates}; install {FONT_PACKAGES}"
                )
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=subfont))
            default.DEFAULT_FONT[name] = name
        _fonts_ready = True


def qr_png_data_uri(url: str) -> str:
    """The URL as a QR code PNG (error correction M), inlined for xhtml2pdf.

    A fixed mask: any mask scans, and searching for the best one was a third of the
    rendering time. Four pixels a module, so a rasterized page keeps the modules crisp.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False, mask=QR_MASK).save(
        buffer, kind="png", scale=QR_SCALE, border=4
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


_template_digest_value: list[str] = []


def _template_digest() -> str:
    """A hash of the certificate template's source, read once per process: the cache must
    never answer for a template that has since changed (a deployment restarts processes)."""
    if not _template_digest_value:
        environment = current_app.jinja_env
        source, _, _ = environment.loader.get_source(environment, TEMPLATE)
        _template_digest_value.append(hashlib.sha256(source.encode()).hexdigest()[:16])
    return _template_digest_value[0]


def certificate_html(content: CertificateContent) -> str:
    return current_app.jinja_env.get_template(TEMPLATE).render(
        certificate=content, qr_code=qr_png_data_uri(content.verification_url)
    )


class RenderResult:
    """A rendered PDF and what xhtml2pdf reported (warnings count missing glyphs)."""

    def __init__(self, data: bytes, errors: int, warnings: int):
        self.data = data
        self.errors = errors
        self.warnings = warnings


def render_certificate(content: CertificateContent) -> RenderResult:
    """Render one certificate now, without the cache."""
    from xhtml2pdf import pisa

    register_fonts()
    output = io.BytesIO()
    status = pisa.CreatePDF(
        certificate_html(content), dest=output, default_css=MINIMAL_DEFAULT_CSS, encoding="utf-8"
    )
    if status.err:
        raise RuntimeError(f"xhtml2pdf reported {status.err} error(s) for a certificate")
    if status.warn:
        log.warning("certificate rendered with %d warning(s) (missing glyphs?)", status.warn)
    return RenderResult(output.getvalue(), status.err, status.warn)


def cache_key(content: CertificateContent) -> str:
    return f"{_template_digest()}:{content.fingerprint()}"


def certificate_pdf(content: CertificateContent) -> bytes:
    """The certificate's PDF, from the cache when nothing printed on it has changed."""
    key = cache_key(content)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    data = render_certificate(content).data
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
