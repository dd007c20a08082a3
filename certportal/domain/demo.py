"""The guide's sample candidate and a few others, so the portal can be tried at once."""

from datetime import date, datetime, timedelta

from certportal.db import database
from certportal.domain import kits
from certportal.domain.addresses import clean_shipping_address
from certportal.domain.certifications import accept_by_taking_exams, recompute
from certportal.domain.lifecycle import add_months
from certportal.domain.mapping import email_key, fold_name, name_key
from certportal.domain.passwords import hash_password
from certportal.models import (
    Agreement,
    AgreementAcceptance,
    Candidate,
    CeCredit,
    Certification,
    CertificationEarning,
    CertificationGrant,
    Exam,
    ExamResult,
    StaffUser,
    utcnow,
)
from certportal.payments import IntentState, PaymentStatus

DEMO_PASSWORD = "certportal-demo"  # noqa: S105 (published demo login)
STAFF_PASSWORD = "certportal-staff"  # noqa: S105

# Guide section 5, row for row: code, registration number, grade, date, expires.
GUIDE_EXAM_ROWS = [
    ("350-001", "219142598", "Pass", date(2007, 2, 21), date(2010, 2, 21)),
    ("350-001", "UniqueRegNum_1000815", "Pass", date(2006, 6, 26), date(2009, 6, 26)),
    ("350-001", "n7dnt508", "Fail", date(2006, 6, 20), None),
    ("350-018", "UniqueRegNum_1000809", "Pass", date(2006, 1, 1), date(2009, 1, 1)),
    ("350-022", "UniqueRegNum_1000515", "Pass", date(2004, 1, 5), date(2007, 1, 5)),
    ("350-018", "UniqueRegNum_1003206", "Pass", date(2002, 6, 1), date(2005, 6, 1)),
    ("350-001", "UniqueRegNum_1025076", "Pass", date(2002, 5, 23), date(2005, 5, 23)),
    ("350-001", "UniqueRegNum_1030695", "Pass", date(2002, 5, 23), date(2005, 5, 23)),
    ("350-002", "UniqueRegNum_1036453", "Pass", date(1999, 3, 25), date(2002, 3, 25)),
    ("350-001", "UniqueRegNum_1011693", "Pass", date(1995, 10, 4), date(1998, 10, 4)),
]


def load_demo_data(today: date | None = None) -> bool:
    """Load the demo candidates into an empty database; False if candidates exist already."""
    if Candidate.select().exists():
        return False
    today = today or date.today()
    with database.atomic():
        _sample_candidate(today)
        _second_candidate(today)
        _unmapped_candidate(today)
        _duplicate_candidates(today)
        _demo_staff()
        # The demo's earnings are its past: loaded where messages can be written (flask demo
        # load) they were congratulated as they happened; elsewhere none is owed later.
        CertificationEarning.update(congratulated_at=utcnow()).where(
            CertificationEarning.congratulated_at.is_null()
        ).execute()
    return True


# One staff account per role, enrolled with a published TOTP secret so that development
# needs no phone: `flask --app app staff demo-code USERNAME` prints the current code.
# These secrets are public: never load demo data into a production database.
DEMO_STAFF = (
    ("admin", "Alex Admin", "admin"),
    ("support", "Sam Support", "support"),
    ("fulfillment", "Frankie Fulfillment", "fulfillment"),
    ("auditor", "Avery Auditor", "auditor"),
)


def demo_totp_secret(username: str) -> str:
    """The published base32 TOTP secret of a demo staff account."""
    return f"CERTPORTALDEMO{username.upper()}".ljust(32, "Q")[:32]


def _demo_staff() -> None:
    password_hash = hash_password(STAFF_PASSWORD)
    for username, display_name, roles in DEMO_STAFF:
        StaffUser.create(
            username=username,
            email=f"{username}@certportal.example",
            display_name=display_name,
            password_hash=password_hash,
            roles=roles,
            totp_secret=demo_totp_secret(username),
            totp_enrolled_at=datetime(2025, 1, 1),
        )


# The same person twice (an exam taken under a second login ID), with the merge case the
# First Time Login opened for them, so the console has a merge to do.
DUPLICATE_EMAIL = "ravi.kumar@certportal.example"
DUPLICATE_LOGIN_IDS = ("CSCO10000003", "CSCO10000004")


def _duplicate_candidates(today: date) -> None:
    from certportal.domain.support import open_case

    first = _candidate(
        login_id=DUPLICATE_LOGIN_IDS[0], email=DUPLICATE_EMAIL,
        password_hash=hash_password("third-demo-password"), mapped_at=datetime(2024, 6, 1),
        first_name="Ravi", last_name="Kumar", city="Bengaluru", country="India",
    )
    passed = today - timedelta(days=200)
    _exam_result(first, "200-301", "VUE-83000003", "Pass", passed, add_months(passed, 36))
    second = _candidate(
        login_id=DUPLICATE_LOGIN_IDS[1], email=DUPLICATE_EMAIL,
        first_name="Ravi", last_name="Kumar", city="Bengaluru", country="India",
    )
    passed = today - timedelta(days=60)
    _exam_result(second, "350-401", "VUE-83000004", "Pass", passed, add_months(passed, 36))
    accept_by_taking_exams({first.id: today - timedelta(days=200), second.id: passed})
    recompute(first, today)
    recompute(second, today)
    open_case(
        kind="merge", contact_email=DUPLICATE_EMAIL, login_ids=" ".join(DUPLICATE_LOGIN_IDS),
        description="I took ENCOR under a second login ID. Please merge my two records.",
    )


def _candidate(**fields) -> Candidate:
    fields.setdefault("program_id", fields["login_id"])
    fields["email_key"] = email_key(fields["email"])
    fields["last_name_key"] = fold_name(fields["last_name"])
    fields["name_key"] = name_key(fields.get("first_name", ""), fields["last_name"])
    return Candidate.create(**fields)


def _exam_result(candidate, code, registration_number, grade, taken_on, expires_on):
    return ExamResult.create(
        candidate=candidate,
        exam=Exam.get(Exam.code == code),
        registration_number=registration_number,
        grade=grade,
        taken_on=taken_on,
        expires_on=expires_on,
    )


def _grant(candidate, code: str, granted_on: date, reason: str) -> None:
    CertificationGrant.create(
        candidate=candidate,
        certification=Certification.get(Certification.code == code),
        granted_on=granted_on,
        reason=reason,
    )


def _ce_credit(candidate, *, points, active_on, inactive_on, updated_on, provider, import_source,
               external_id, name="Cisco CE Credits"):
    return CeCredit.create(
        candidate=candidate, name=name, points=points, active_on=active_on,
        inactive_on=inactive_on, updated_on=updated_on, provider_name=provider,
        source="CertMetrics", import_source=import_source, external_id=external_id,
    )


# Where John's kits went (his record keeps the guide's address, whose ZIP code is made up).
JOHN_SHIP_TO = {
    "first_name": "John", "last_name": "Doe", "email": "csco10000000@certportal.example",
    "phone": "+1 919 555 0100", "address_line1": "Test123test Test2 Cor",
    "address_line2": "Line 3 Cor", "city": "Raleigh", "state": "North Carolina",
    "postal_code": "27601", "country": "US",
}
DEMO_TERMS = kits.ShopTerms()


def _order(candidate, codes, *, placed_on: date, tracking=False, sent_after=None,
           complete_after=None, tracking_number=""):
    """A past order placed through the same rules as the pages', paid if it costs anything,
    then moved along the fulfillment queue."""
    at = datetime.combine(placed_on, datetime.min.time()) + timedelta(hours=10)
    prices = {offer.code: offer.price_cents
              for offer in kits.kit_offers(candidate, placed_on, DEMO_TERMS)}
    order = kits.place_order(
        candidate, codes=codes, seen_prices=prices, tracking=tracking,
        address=clean_shipping_address(JOHN_SHIP_TO), submission_key=kits.new_submission_key(),
        terms=DEMO_TERMS, today=placed_on, now=at,
    )
    if order.status != "submitted":
        paid = IntentState(
            intent_id=f"pi_demo_{order.reference.lower()}", status=PaymentStatus.PAID,
            provider_status="succeeded", amount_cents=order.total_cents,
            currency=order.currency, order_reference=order.reference, attempt=1,
        )
        kits.settle(order, paid, today=placed_on, now=at + timedelta(minutes=2))
    for line in kits.lines_of(order):
        if sent_after is not None:
            line = kits.mark_sent(line, tracking_number or "1Z999AA10123456784",
                                  today=placed_on + sent_after)
        if complete_after is not None:
            kits.mark_complete(line, today=placed_on + complete_after)
    return order


def _sample_candidate(today: date) -> Candidate:
    """CSCO10000000: the guide's screenshots, plus recent results so something is active."""
    john = _candidate(
        login_id="CSCO10000000", email="csco10000000@certportal.example",
        password_hash=hash_password(DEMO_PASSWORD), mapped_at=datetime(2019, 12, 1),
        first_name="John", last_name="Doe", phone="+1 919 555 0100",
        address_line1="Test123test Test2 Cor", address_line2="Line 3 Cor", city="City",
        state="North Carolina", postal_code="12345", country="United States",
        job_title="Jester", netacad_id="8682608", testing_vendor_id="226754252",
        badging_email="csco10000000@certportal.example",
        # A returning candidate who confirmed Settings and consents to verification.
        is_employee=False, is_partner=False, email_notifications=True,
        is_netacad_student=True, verification_consent=True,
        settings_confirmed_at=datetime.combine(today - timedelta(days=30), datetime.min.time()),
    )
    # Oldest first, as results are imported: newest-first order (date, then latest import)
    # then shows the two 2002-May-23 results in the guide's order.
    for row in reversed(GUIDE_EXAM_ROWS):
        _exam_result(john, *row)
    ccna_passed = today - timedelta(days=400)
    encor_passed = today - timedelta(days=250)
    _exam_result(john, "200-301", "VUE-77120431", "Pass", ccna_passed, add_months(ccna_passed, 36))
    _exam_result(john, "350-401", "VUE-79935517", "Pass", encor_passed,
                 add_months(encor_passed, 36))

    AgreementAcceptance.create(
        candidate=john,
        agreement=Agreement.get((Agreement.kind == "certification") & Agreement.is_current),
        accepted_on=date(2006, 6, 20),
    )

    # Guide section 4: two credits imported from creq-20200214-200500.csv.
    for external_id in ("1462600", "1462601"):
        _ce_credit(john, points=5, active_on=date(2020, 2, 1), inactive_on=date(2023, 2, 1),
                   updated_on=date(2020, 2, 24), provider="CDL 01 July CCNP",
                   import_source="creq-20200214-200500.csv", external_id=external_id)
    # 10 of the 30 credits CCNA's recertification asks for, inside the current cycle.
    for days_ago, external_id in ((200, "2210001"), (120, "2210002")):
        earned = today - timedelta(days=days_ago)
        _ce_credit(john, points=5, active_on=earned, inactive_on=add_months(earned, 36),
                   updated_on=earned + timedelta(days=3), provider="Cisco Learning Network",
                   import_source=f"creq-{earned:%Y%m%d}-093000.csv", external_id=external_id)

    # Certifications are derived from facts: CCNA earned by 200-301 and recertified by
    # 350-401 (whose cycle now holds 10 of the 30 CE credits, as in the guide); the
    # Specialist earned by 350-401; CCIE EI granted when migrated from the first-generation
    # program (first in 2002); CCENT and CCNA R&S granted in 2019 and since expired.
    _grant(john, "CCIE-EI", date(2002, 5, 23), "Earned as CCIE Routing and Switching")
    _grant(john, "CCIE-EI", encor_passed, "Migrated record")
    for code, granted_on in (("CCENT", date(2019, 12, 9)), ("CCNA-RS", date(2019, 12, 8))):
        _grant(john, code, granted_on, "Migrated record")
    recompute(john, today)

    # Kits: CCNA's claimed and delivered; CCIE EI's certificate and plaque claimed and on
    # their way; a second plaque bought last month with tracking, paid by card, queued. The
    # specialist's free kit is not claimed yet (Home says so).
    _order(john, ["CCNA-CERT"], placed_on=ccna_passed + timedelta(days=14),
           sent_after=timedelta(days=20), complete_after=timedelta(days=40))
    _order(john, ["CCIE-EI-CERT", "CCIE-EI-PLAQUE"], placed_on=encor_passed + timedelta(days=10),
           sent_after=timedelta(days=30))
    _order(john, ["CCIE-EI-PLAQUE"], placed_on=today - timedelta(days=30), tracking=True)
    return john


def _second_candidate(today: date) -> Candidate:
    """Another candidate, so tests can show one never sees the other's data."""
    mei = _candidate(
        login_id="CSCO10000001", email="wang.mei@certportal.example",
        password_hash=hash_password("second-demo-password"), mapped_at=datetime(2024, 3, 1),
        first_name="Mei", last_name="Wang", localized_first_name="美", localized_last_name="王",
        city="Shanghai", country="China", job_title="Network Engineer",
        testing_vendor_id="318840120", badging_email="wang.mei@certportal.example",
    )
    passed = today - timedelta(days=90)
    _exam_result(mei, "200-301", "VUE-81234567", "Pass", passed, add_months(passed, 36))
    accept_by_taking_exams({mei.id: passed})
    recompute(mei, today)
    return mei


# A candidate known from an exam result who has never logged in (no password), so
# First Time Login can be tried by email address or by score report.
UNMAPPED_LOGIN_ID = "CSCO10000002"
UNMAPPED_EMAIL = "ana.nunez@certportal.example"
UNMAPPED_REGISTRATION_NUMBER = "VUE-92000002"


def _unmapped_candidate(today: date) -> Candidate:
    ana = _candidate(
        login_id=UNMAPPED_LOGIN_ID, email=UNMAPPED_EMAIL, first_name="Ana", last_name="Núñez",
        city="Madrid", country="Spain",
    )
    taken = today - timedelta(days=30)
    _exam_result(ana, "200-301", UNMAPPED_REGISTRATION_NUMBER, "Pass", taken,
                 add_months(taken, 36))
    accept_by_taking_exams({ana.id: taken})
    recompute(ana, today)
    return ana
