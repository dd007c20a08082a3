"""HTTP views: parse and validate input, call the domain, render a page or a fragment."""


def init_app(app):
    from certportal.blueprints import auth, main, personal, transcripts

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(personal.bp)
    app.register_blueprint(transcripts.bp)
