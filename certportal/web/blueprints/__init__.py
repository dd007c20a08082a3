"""HTTP views, one blueprint per URL prefix: parse and validate input, call the domain, render
a page or a fragment.

| blueprint | module | URLs |
| --- | --- | --- |
| auth | auth.py | /login, /logout, /first-time-login/…, /forgot-password, /set-password/… |
| main | main.py | / (Home), /help, /support, /favicon.ico |
| staff | staff.py | /staff/… (the staff console: sign-in, candidates, imports, cases, audit) |
| personal | personal.py | /personal-info/… |
| certifications | certifications.py | /certifications/… (list, detail, agreement, PDF, logos) |
| history | history.py | /testing-history/… |
| kits | kits.py | /certificates-plaques/… (kit history, claim and purchase, orders, payment) |
| payments | payments.py | /payments/stripe/webhook (the provider's signed events) |
| support | support.py | /support/cases/… |
| transcripts | transcripts.py | /transcripts/…, and the public page /t/<id> |
| verification | verification.py | /verify/…, /api/v1/verifications/<code> |
| badges | badges.py | /digital-badges/…; public /badges/… (pages, issuer, keys, status lists) |
| outbox | outbox.py | /dev/outbox/… (development only) |
"""


def init_app(app):
    from certportal.web.blueprints import (
        auth,
        badges,
        certifications,
        history,
        kits,
        main,
        outbox,
        payments,
        personal,
        staff,
        support,
        transcripts,
        verification,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(personal.bp)
    app.register_blueprint(certifications.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(kits.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(support.bp)
    app.register_blueprint(staff.bp)
    if app.config["DEVELOPMENT"]:
        # Anyone could read every message sent: the outbox exists only in development.
        app.register_blueprint(outbox.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(transcripts.bp)
    app.register_blueprint(badges.bp)
