"""The page-or-fragment rule: one view, one template, one named block for htmx partials."""

from flask import flash, render_template, request
from htmx_flask import Htmx
from htmx_flask import make_response as htmx_response
from jinja2_fragments.flask import render_block

# Responses differ by these request headers, so shared caches must key on them.
VARY_HEADERS = ("HX-Request", "HX-Request-Type")


def is_partial_request() -> bool:
    """True only for an htmx request that swaps part of a page (not boosted, not history)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Request-Type") == "partial"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(template: str, block: str, status: int = 200, **context):
    """Render the whole page, or only `block` of it for an htmx partial request."""
    if is_partial_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = htmx_response(body, status)
    response.vary.update(VARY_HEADERS)
    return response


def redirect_after_post(location: str, fragment=None, message: str | None = None):
    """After a successful form: 303 for a plain request, the updated fragment for htmx.

    A plain request carries `message` to the next page as a flash; the fragment, shown at
    once, states the outcome itself.
    """
    if fragment is not None and is_partial_request():
        return fragment()
    if message:
        flash(message, "success")
    response = htmx_response("", 303)
    response.headers["Location"] = location
    return response


def client_redirect(location: str):
    """Send an htmx request somewhere else with a full page load (HX-Redirect)."""
    response = htmx_response("", 200, redirect=location)
    response.vary.update(VARY_HEADERS)
    return response


def init_app(app):
    Htmx(app)
