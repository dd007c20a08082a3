"""Configuration from the environment."""

from pathlib import Path

import pytest

from certportal import config


def test_secret_key_is_required_outside_development(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CERTPORTAL_ENV", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY is required"):
        config.load(str(tmp_path))


def test_development_generates_a_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CERTPORTAL_ENV", "development")
    first = config.load(str(tmp_path))["SECRET_KEY"]
    assert len(first) == 64
    assert config.load(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PROGRAM_NAME", "Acme")
    monkeypatch.setenv("BASE_URL", "https://certs.acme.example/")
    settings = config.load(str(tmp_path))
    assert settings["DATABASE_URL"].endswith("/db/certportal.sqlite3")
    assert settings["PROGRAM_NAME"] == "Acme"
    assert settings["BASE_URL"] == "https://certs.acme.example"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["WTF_CSRF_TIME_LIMIT"] is None


def test_database_pool_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    for name in ("DATABASE_POOL_SIZE", "DATABASE_POOL_TIMEOUT", "DATABASE_STALE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "0.5")
    settings = config.load(str(tmp_path))
    assert settings["DATABASE_POOL_SIZE"] == 20
    assert settings["DATABASE_POOL_TIMEOUT"] == 0.5
    assert settings["DATABASE_STALE_TIMEOUT"] == 300
    monkeypatch.setenv("DATABASE_POOL_SIZE", "0")
    with pytest.raises(config.ConfigError, match="DATABASE_POOL_SIZE must be 1 or more"):
        config.load(str(tmp_path))
    monkeypatch.setenv("DATABASE_POOL_SIZE", "4")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "soon")
    with pytest.raises(config.ConfigError, match="DATABASE_POOL_TIMEOUT must be a number"):
        config.load(str(tmp_path))


def test_the_program_site_is_an_http_address_or_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PROGRAM_SITE_URL", " https://certs.example.org/ ")
    assert config.load(str(tmp_path))["PROGRAM_SITE_URL"] == "https://certs.example.org/"
    monkeypatch.setenv("PROGRAM_SITE_URL", "None")
    assert config.load(str(tmp_path))["PROGRAM_SITE_URL"] == ""
    monkeypatch.setenv("PROGRAM_SITE_URL", "javascript:alert(1)")
    with pytest.raises(config.ConfigError, match="PROGRAM_SITE_URL must be an http"):
        config.load(str(tmp_path))


def test_every_setting_from_the_environment_is_in_the_readmes_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("## Configuration"):]
    for setting in config.ENVIRONMENT:
        row = f"| `{setting.name}` | "
        assert row in table, setting.name
        if setting.name != "DATABASE_URL":  # documented as <repo>/db/…, not this machine's path
            assert table.split(row, 1)[1].startswith(
                f"`{setting.default}` |" if setting.default else "empty"
            ), setting.name


def test_without_a_badge_signing_key_badges_are_off_outside_development(monkeypatch,
                                                                        tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("BADGE_SIGNING_KEY", raising=False)
    monkeypatch.delenv("CERTPORTAL_ENV", raising=False)
    assert config.load(str(tmp_path))["BADGE_SIGNING_KEY"] == ""
    assert not (tmp_path / "badge_signing_key").exists()


def test_development_generates_a_badge_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("BADGE_SIGNING_KEY", raising=False)
    monkeypatch.setenv("CERTPORTAL_ENV", "development")
    first = config.load(str(tmp_path))["BADGE_SIGNING_KEY"]
    assert first.startswith("z3u2")
    assert config.load(str(tmp_path))["BADGE_SIGNING_KEY"] == first
    assert (tmp_path / "badge_signing_key").stat().st_mode & 0o777 == 0o600


def test_badge_keys_from_the_environment_are_checked(monkeypatch, tmp_path):
    from certportal.domain import signing

    key = signing.signing_key_to_text(signing.generate_signing_key())
    retired = signing.public_key_multibase(signing.generate_signing_key())
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("BADGE_SIGNING_KEY", f" {key}\n")
    monkeypatch.setenv("BADGE_RETIRED_KEYS", f"{retired}, ")
    settings = config.load(str(tmp_path))
    assert settings["BADGE_SIGNING_KEY"] == key
    assert settings["BADGE_RETIRED_KEYS"] == (retired,)
    monkeypatch.setenv("BADGE_RETIRED_KEYS", key)  # a secret key where a public one goes
    with pytest.raises(config.ConfigError, match="BADGE_RETIRED_KEYS"):
        config.load(str(tmp_path))
    monkeypatch.setenv("BADGE_SIGNING_KEY", "not-a-key")
    with pytest.raises(config.ConfigError, match="BADGE_SIGNING_KEY: a badge signing key is"):
        config.load(str(tmp_path))
