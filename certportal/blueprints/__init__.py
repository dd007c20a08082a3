"""HTTP views: parse and validate input, call the domain, render a page or a fragment."""


def init_app(app):
    from certportal.blueprints import auth, certificates, logos, main, personal, verification

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(personal.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(logos.bp)
    app.register_blueprint(verification.bp)
