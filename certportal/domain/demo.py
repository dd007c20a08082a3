"""The guide's sample candidate and a few others, so the portal can be tried at once."""

from datetime import date, datetime, timedelta

from certportal.db import database
from certportal.domain.certifications import recompute
from certportal.domain.lifecycle import add_months
from certportal.domain.mapping import email_key, fold_name, name_key
from certportal.domain.passwords import hash_password
from certportal.models import (
    Agreement,
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CeCredit,
    Certification,
    CertificationGrant,
    EcommerceTransaction,
    Exam,
    ExamResult,
    FulfillmentItem,
    FulfillmentOrder,
    OrderLine,
    StaffUser,
    random_code,
)

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


def _mark_kits_claimed(candidate, *codes: str) -> None:
    CandidateCertification.update(initial_kit_claimed=True).where(
        (CandidateCertification.candidate == candidate)
        & CandidateCertification.certification.in_(
            Certification.select(Certification.id).where(Certification.code.in_(codes))
        )
    ).execute()


def _ce_credit(candidate, *, points, active_on, inactive_on, updated_on, provider, import_source,
               external_id, name="Cisco CE Credits"):
    return CeCredit.create(
        candidate=candidate, name=name, points=points, active_on=active_on,
        inactive_on=inactive_on, updated_on=updated_on, provider_name=provider,
        source="CertMetrics", import_source=import_source, external_id=external_id,
    )


def _kit(code: str, kind: str = "Certificate") -> FulfillmentItem:
    return (
        FulfillmentItem.select()
        .join(Certification)
        .where((Certification.code == code) & (FulfillmentItem.kind == kind))
        .get()
    )


def _order(candidate, *, placed_on, lines, tracking, payment_method, status, today):
    shipping = 1000 if tracking else 0
    total = sum(price for _, price, _ in lines) + shipping
    order = FulfillmentOrder.create(
        candidate=candidate, tracking=tracking, shipping_cents=shipping, total_cents=total,
        payment_method=payment_method, status=status,
        ship_to={"first_name": candidate.first_name, "last_name": candidate.last_name,
                 "city": candidate.city, "country": candidate.country},
        created_at=datetime.combine(placed_on, datetime.min.time()),
    )
    for item, price, is_initial in lines:
        sent_on = placed_on + timedelta(days=20) if status == "complete" else None
        OrderLine.create(
            order=order, candidate=candidate, item=item,
            name=f"{item.certification.name} ({item.kind})", price_cents=price,
            is_initial_claim=is_initial, verification_code=random_code(16),
            queued_on=placed_on, sent_on=sent_on,
            completed_on=placed_on + timedelta(days=40) if status == "complete" else None,
            status="Complete" if status == "complete" else "Queued",
        )
    EcommerceTransaction.create(
        candidate=candidate, order=order,
        occurred_at=datetime.combine(placed_on, datetime.min.time()) + timedelta(hours=10),
        description=("Initial kit claim" if total == 0 else "Kit purchase")
        + (" with trackable shipping" if tracking else ""),
        item_count=len(lines), amount_cents=total, payment_method=payment_method,
        status="Completed", reference=random_code(10),
    )
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
    _mark_kits_claimed(john, "CCNA", "CCIE-EI", "CCENT", "CCNA-RS")

    _order(john, placed_on=ccna_passed + timedelta(days=14),
           lines=[(_kit("CCNA"), 0, True)], tracking=False, payment_method="none",
           status="complete", today=today)
    _order(john, placed_on=today - timedelta(days=30),
           lines=[(_kit("CCIE-EI", "Plaque"), _kit("CCIE-EI", "Plaque").additional_price_cents,
                   False)],
           tracking=True, payment_method="credit", status="queued", today=today)
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
    recompute(mei, today)
    return mei


# Issue 3: a candidate known from an exam result who has never logged in (no password), so
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
    recompute(ana, today)
    return ana
