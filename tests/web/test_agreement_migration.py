"""Candidates who took exams before the import recorded the agreement gain their acceptance,
dated their first exam; acceptances already on record stay as they are."""

from datetime import date, datetime

from peewee_migrate import Router

from certportal.db import MIGRATIONS_DIR, bind, database, upgrade_schema
from certportal.models import AgreementAcceptance
from tests.web.test_transcript_migration import empty_database_url  # noqa: F401 (fixture)

MIGRATION = "070_exam_takers_accepted_the_agreement"


def test_exam_takers_without_an_acceptance_gain_one_from_their_first_exam(
    empty_database_url,  # noqa: F811
):
    bind(empty_database_url)
    now = datetime(2026, 1, 5, 12)
    with database.connection_context():
        router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
        router.run(router.todo[router.todo.index(MIGRATION) - 1])
        orm = router.migrator.orm
        old = orm["agreement"].create(code="CCA-V8", kind="certification",
                                      name="V8", version="V8", text="…", is_current=False)
        orm["agreement"].create(code="CCA-V9", kind="certification",
                                          name="V9", version="V9", text="…", is_current=True)
        logo = orm["agreement"].create(code="LOGO", kind="logo", name="Logo",
                                       version="1", text="…", is_current=True)
        exam = orm["exam"].create(code="200-301", name="CCNA")

        def candidate(login_id, *exam_days):
            person = orm["candidate"].create(
                created_at=now, login_id=login_id, program_id=login_id,
                email=f"{login_id}@example.org", email_key=f"{login_id}@example.org")
            for number, day in enumerate(exam_days):
                orm["exam_result"].create(
                    created_at=now, candidate=person, exam=exam, grade="Pass", taken_on=day,
                    registration_number=f"{login_id}-{number}")
            return person

        candidate("ANA", date(2024, 5, 2), date(2023, 1, 9))
        logo_only = candidate("LOGO1", date(2022, 3, 4))
        orm["agreement_acceptance"].create(created_at=now, candidate=logo_only, agreement=logo,
                                           accepted_on=date(2022, 6, 1))
        earlier_version = candidate("V8", date(2010, 1, 1))
        orm["agreement_acceptance"].create(created_at=now, candidate=earlier_version,
                                           agreement=old, accepted_on=date(2010, 1, 1))
        candidate("NOEXAM")

        upgrade_schema()

        accepted = {
            (row.candidate.login_id, row.agreement.code): row.accepted_on
            for row in AgreementAcceptance.select()
        }
        assert accepted == {
            ("ANA", "CCA-V9"): date(2023, 1, 9),
            ("LOGO1", "LOGO"): date(2022, 6, 1),
            ("LOGO1", "CCA-V9"): date(2022, 3, 4),
            ("V8", "CCA-V8"): date(2010, 1, 1),
        }
