"""Kit orders saved before the upgrade (one "initial kit claimed" flag per certification,
lines without a code or with the old statuses) carry over: nothing is offered free twice."""

from datetime import date, datetime, timedelta

from peewee_migrate import Router

from certportal.db import MIGRATIONS_DIR, bind, database, release_connections, upgrade_schema
from certportal.domain import kits
from certportal.models import (
    Candidate,
    CertificationEarning,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
)
from tests.web.test_transcript_migration import empty_database_url  # noqa: F401 (fixture)

KIT_MIGRATION = "030_kit_orders"
TERMS = kits.ShopTerms()


def _migrate_to_just_before_kits():
    router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
    router.run(router.todo[router.todo.index(KIT_MIGRATION) - 1])
    return router.migrator.orm


def test_claimed_flags_and_old_orders_become_earnings_and_coded_lines(empty_database_url):  # noqa: F811
    bind(empty_database_url)
    now, today = datetime(2026, 1, 5, 12), date.today()
    with database.connection_context():
        orm = _migrate_to_just_before_kits()
        certification = orm["certification"].create(
            code="CCNA", abbreviation="CCNA", name="CCNA", group_name="Associate",
            validity_months=36, earn_tree='{"type": "exam", "exams": ["200-301"]}', renews="[]")
        other = orm["certification"].create(
            code="CCNP", abbreviation="CCNP", name="CCNP", group_name="Professional",
            validity_months=36, earn_tree='{"type": "exam", "exams": ["350-401"]}', renews="[]")
        item = orm["fulfillment_item"].create(code="CCNA-CERT", certification=certification,
                                              name="CCNA Certificate", kind="Certificate",
                                              initial_price_cents=0, additional_price_cents=1500)
        orm["fulfillment_item"].create(code="CCNP-CERT", certification=other,
                                       name="CCNP Certificate", kind="Certificate",
                                       initial_price_cents=0, additional_price_cents=1500)
        candidate = orm["candidate"].create(
            created_at=now, login_id="CSCO1", program_id="CSCO1", email="a@example.org",
            email_key="a@example.org")
        for held_certification, claimed, code in ((certification, True, "A" * 16),
                                                  (other, False, "B" * 16)):
            orm["candidate_certification"].create(
                created_at=now, updated_at=now, candidate=candidate,
                certification=held_certification, status="active",
                active_on=today - timedelta(days=100), first_earned_on=today - timedelta(100),
                expires_on=today + timedelta(days=900), verification_code=code,
                badge_id=code + "XXXX", initial_kit_claimed=claimed)
        order = orm["fulfillment_order"].create(
            created_at=now, candidate=candidate, tracking=True, shipping_cents=1000,
            total_cents=2500, payment_method="credit", status="queued", ship_to="{}")
        for status, sent_on, completed_on, code, initial in (
            ("Complete", today, today, None, True), ("n/a", None, None, "C" * 16, False),
        ):
            orm["order_line"].create(
                created_at=now, order=order, candidate=candidate, item=item,
                name="CCNA Certificate", price_cents=0 if initial else 1500,
                is_initial_claim=initial, verification_code=code,
                queued_on=today - timedelta(days=50), sent_on=sent_on,
                completed_on=completed_on, status=status)
        upgrade_schema()

        migrated = FulfillmentOrder.get()
        assert migrated.status == "submitted" and len(migrated.reference) == 16
        assert (migrated.items_cents, migrated.total_cents) == (1500, 2500)
        lines = list(OrderLine.select().order_by(OrderLine.id))
        assert [(line.status, line.kind) for line in lines] == [
            ("complete", "Certificate"), ("queued", "Certificate")]
        assert len(lines[0].verification_code) == 16 and lines[1].verification_code == "C" * 16
        assert CertificationEarning.select().count() == 2
        claimed = KitEntitlement.get(KitEntitlement.claimed_at.is_null(False))
        assert claimed.order_line_id == lines[0].id
        offers = {offer.code: offer.price_cents
                  for offer in kits.kit_offers(Candidate.get(), today, TERMS)}
        assert offers == {"CCNA-CERT": 1500, "CCNP-CERT": 0}
        # Known earnings are not congratulated again.
        assert not CertificationEarning.select().where(
            CertificationEarning.congratulated_at.is_null()).exists()
    release_connections()
