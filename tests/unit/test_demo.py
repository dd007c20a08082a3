"""The demo data reproduces the guide's sample candidate."""

from certportal.domain.demo import GUIDE_EXAM_ROWS, load_demo_data
from certportal.models import (
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CeCredit,
    ExamResult,
)


def test_guide_exam_table_row_for_row(db):
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    stored = {
        result.registration_number: (
            result.exam.code,
            result.registration_number,
            result.grade,
            result.taken_on,
            result.expires_on,
        )
        for result in ExamResult.select().where(ExamResult.candidate == john)
    }
    for row in GUIDE_EXAM_ROWS:
        assert stored[row[1]] == row
    assert len(GUIDE_EXAM_ROWS) == 10
    assert ExamResult.get(ExamResult.registration_number == "n7dnt508").exam.name == (
        "CCIE Routing and Switching"
    )


def test_guide_profile_fields(db):
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    assert (john.job_title, john.netacad_id, john.testing_vendor_id) == (
        "Jester",
        "8682608",
        "226754252",
    )
    agreement = AgreementAcceptance.get(AgreementAcceptance.candidate == john)
    assert agreement.agreement.name == "Cisco Certification and Confidentiality Agreement (V9)"
    assert str(agreement.accepted_on) == "2006-06-20" and agreement.expires_on is None


def test_guide_ce_rows_and_ten_recent_points(db):
    guide_row = CeCredit.get(CeCredit.external_id == "1462600")
    assert (guide_row.provider_name, guide_row.source, guide_row.import_source) == (
        "CDL 01 July CCNP",
        "CertMetrics",
        "creq-20200214-200500.csv",
    )
    ccna = (
        CandidateCertification.select()
        .join_from(CandidateCertification, Candidate)
        .where(Candidate.login_id == "CSCO10000000")
        .switch(CandidateCertification)
        .join(CandidateCertification.certification.rel_model)
        .where(CandidateCertification.certification.rel_model.code == "CCNA")
        .get()
    )
    recent = CeCredit.select().where(
        (CeCredit.candidate == ccna.candidate) & (CeCredit.active_on >= ccna.cycle_started_on)
    )
    assert sum(credit.points for credit in recent) == 10
    assert ccna.status == "active"


def test_demo_loads_only_into_an_empty_database(db):
    before = Candidate.select().count()
    assert load_demo_data() is False
    assert Candidate.select().count() == before


def test_every_demo_candidate_holding_a_certification_accepted_the_agreement(db):
    # The agreement says a certification is awarded only with it accepted: the demo's
    # records agree (each accepted it at their first exam, John on the guide's date).
    holders = {held.candidate_id for held in CandidateCertification.select()}
    accepted = {
        acceptance.candidate_id: acceptance.accepted_on
        for acceptance in AgreementAcceptance.select()
        if acceptance.agreement.kind == "certification"
    }
    assert holders and holders <= accepted.keys()
    for candidate_id in holders:
        first_exam = min(result.taken_on for result in ExamResult.select().where(
            ExamResult.candidate == candidate_id))
        assert accepted[candidate_id] <= first_exam or candidate_id == john_id()


def john_id():
    return Candidate.get(Candidate.login_id == "CSCO10000000").id
