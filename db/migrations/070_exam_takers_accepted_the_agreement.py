"""Candidates who took exams accepted the certification agreement (at the test center).

Results imported before the import recorded this left some candidates holding certifications
with no acceptance on record, which the agreement itself says a certification requires. Each
candidate with exam results and no certification agreement accepted gets the current one,
dated their first exam (what `certifications.accept_by_taking_exams` records on import). A
database without the catalog loaded yet has no agreement, and nothing is inserted.
"""

import peewee as pw
from peewee_migrate import Migrator

BACKFILL = """
INSERT INTO agreement_acceptance (candidate_id, agreement_id, accepted_on, ip_address, created_at)
SELECT result.candidate_id, agreement.id, MIN(result.taken_on), '', CURRENT_TIMESTAMP
FROM exam_result AS result
CROSS JOIN agreement
WHERE agreement.kind = 'certification' AND agreement.is_current
  AND NOT EXISTS (
    SELECT 1 FROM agreement_acceptance AS accepted
    JOIN agreement AS accepted_agreement ON accepted_agreement.id = accepted.agreement_id
    WHERE accepted.candidate_id = result.candidate_id
      AND accepted_agreement.kind = 'certification')
GROUP BY result.candidate_id, agreement.id
"""


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql(BACKFILL)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """The acceptances stay: they are records of what the candidates agreed to."""
