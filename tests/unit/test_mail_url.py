import pytest

from certportal.mail import MailConfigError, SmtpSettings, parse_mail_url


def test_empty_mail_url_means_no_delivery():
    assert parse_mail_url("") is None


def test_smtp_url_with_credentials_and_starttls():
    assert parse_mail_url("smtp://mailer:p%40ss@mail.example.org:587?starttls=true") == (
        SmtpSettings("mail.example.org", 587, "mailer", "p@ss", starttls=True)
    )


def test_smtps_url_defaults_to_port_465_with_implicit_tls():
    settings = parse_mail_url("smtps://mail.example.org")
    assert (settings.port, settings.implicit_tls, settings.starttls) == (465, True, False)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org:25"])
def test_malformed_mail_url_is_refused_with_the_expected_form(url):
    with pytest.raises(MailConfigError, match="smtp://user:pass@host:port"):
        parse_mail_url(url)
