"""Upgrading a portal that already has candidates to digital badges loses nothing, and the
certifications already active get their badges from `certs refresh`."""

from datetime import date, datetime

from peewee_migrate import Router

from certportal import create_app
from certportal.db import MIGRATIONS_DIR, bind, database, release_connections, upgrade_schema
from certportal.models import Candidate, CandidateCertification, IssuedCredential, Transcript
from tests.conftest import TEST_BADGE_SIGNING_KEY
from tests.web.test_transcript_migration import empty_database_url  # noqa: F401 (fixture)

BADGES_MIGRATION = "050_issued_credentials"


def test_existing_records_survive_and_active_certifications_get_badges(empty_database_url):  # noqa: F811
    bind(empty_database_url)
    now, today = datetime(2026, 1, 5, 12), date.today()
    with database.connection_context():
        router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
        router.run(router.todo[router.todo.index(BADGES_MIGRATION) - 1])
        orm = router.migrator.orm
        candidate = orm["candidate"].create(
            created_at=now, login_id="CSCO10000000", program_id="CSCO10000000",
            email="john@example.org", email_key="john@example.org", first_name="John",
            last_name="Doe", verification_consent=True)
        certification = orm["certification"].create(
            code="CCNA", abbreviation="CCNA", name="CCNA", group_name="Associate",
            validity_months=36, earn_tree='{"type": "exam", "exams": ["200-301"]}',
            renews="[]")
        orm["candidate_certification"].create(
            created_at=now, updated_at=now, candidate=candidate, certification=certification,
            status="active", first_earned_on=date(2025, 1, 6), active_on=date(2025, 1, 6),
            expires_on=date(2028, 1, 6), verification_code="K7Q29XMDB4TR0HWE",
            badge_id="NDNW90FNQRG53ZEAZBNR")
        orm["transcript"].create(
            created_at=now, updated_at=now, public_id="AAAAAAAAAAAAAAA1", candidate=candidate,
            expires_on=today)
        upgrade_schema()
        assert Candidate.get().badges_searchable is False
        assert Transcript.select().count() == 1
        assert CandidateCertification.get().badge_id == "NDNW90FNQRG53ZEAZBNR"
    release_connections()

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "BASE_URL": "http://localhost",
                      "DATABASE_URL": empty_database_url,
                      "BADGE_SIGNING_KEY": TEST_BADGE_SIGNING_KEY})
    result = app.test_cli_runner().invoke(args=["certs", "refresh"])
    assert "Issued 1 missing badge credential(s)." in result.output, result.output
    with database.connection_context():
        issued = IssuedCredential.get()
        assert (issued.valid_from, issued.valid_until) == (date(2025, 1, 6), date(2028, 1, 6))
    release_connections()
