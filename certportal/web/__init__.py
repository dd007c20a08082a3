"""Everything that knows HTTP: blueprints, who is signed in, security, errors, htmx, templates."""

from certportal.web import blueprints, errors, htmx, login, public_answers, security, templating


def init_app(app):
    """Request guards and headers, sign-in, htmx, template helpers, error pages, the views."""
    # Inside the proxy fix security installs: it reads the client's real address.
    public_answers.init_app(app)
    security.init_app(app)
    login.init_app(app)
    htmx.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    blueprints.init_app(app)
