"""HTTP views: parse and validate input, call the domain, render a page or a fragment."""


def init_app(app):
    from certportal.blueprints import (
        auth,
        certificates,
        certifications,
        history,
        logos,
        main,
        outbox,
        personal,
        support,
        transcripts,
        verification,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(personal.bp)
    app.register_blueprint(certifications.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(support.bp)
    if app.config.get("DEVELOPMENT"):
        app.register_blueprint(outbox.bp)  # issue 3: the outbox exists only in development
    app.register_blueprint(certificates.bp)
    app.register_blueprint(logos.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(transcripts.bp)
