"""Peewee migrations -- 001_initial.py.

Some examples (model - class or model name)::

    > Model = migrator.orm['table_name']            # Return model in current state by name
    > Model = migrator.ModelClass                   # Return model in current state by name

    > migrator.sql(sql)                             # Run custom SQL
    > migrator.run(func, *args, **kwargs)           # Run python function with the given args
    > migrator.create_model(Model)                  # Create a model (could be used as decorator)
    > migrator.remove_model(model, cascade=True)    # Remove a model
    > migrator.add_fields(model, **fields)          # Add fields (allow_not_null=True skips default)
    > migrator.change_fields(model, **fields)       # Change fields
    > migrator.remove_fields(model, *field_names, cascade=True)
    > migrator.rename_field(model, old_field_name, new_field_name)
    > migrator.rename_table(model, new_table_name)
    > migrator.add_index(model, *col_names, unique=False)
    > migrator.add_not_null(model, *field_names)
    > migrator.add_default(model, field_name, default)
    > migrator.add_constraint(model, name, sql)
    > migrator.drop_index(model, *col_names)
    > migrator.drop_not_null(model, *field_names)
    > migrator.drop_constraints(model, *constraints)

"""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    
    @migrator.create_model
    class Agreement(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=32, unique=True)
        kind = pw.CharField(max_length=16)
        name = pw.CharField(max_length=200)
        version = pw.CharField(max_length=16)
        text = pw.TextField()
        is_current = pw.BooleanField(default=True)

        class Meta:
            table_name = "agreement"

    @migrator.create_model
    class Candidate(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        login_id = pw.CharField(max_length=32, unique=True)
        program_id = pw.CharField(max_length=32, unique=True)
        email = pw.CharField(max_length=254)
        email_key = pw.CharField(index=True, max_length=254)
        password_hash = pw.CharField(max_length=255, null=True)
        mapped_at = pw.DateTimeField(null=True)
        first_name = pw.CharField(default='', max_length=100)
        last_name = pw.CharField(default='', max_length=100)
        last_name_key = pw.CharField(default='', index=True, max_length=100)
        phone = pw.CharField(default='', max_length=40)
        address_line1 = pw.CharField(default='', max_length=200)
        address_line2 = pw.CharField(default='', max_length=200)
        city = pw.CharField(default='', max_length=100)
        state = pw.CharField(default='', max_length=100)
        postal_code = pw.CharField(default='', max_length=20)
        country = pw.CharField(default='', max_length=100)
        localized_first_name = pw.CharField(default='', max_length=100)
        localized_last_name = pw.CharField(default='', max_length=100)
        localized_address_line1 = pw.CharField(default='', max_length=200)
        localized_address_line2 = pw.CharField(default='', max_length=200)
        localized_city = pw.CharField(default='', max_length=100)
        localized_state = pw.CharField(default='', max_length=100)
        localized_postal_code = pw.CharField(default='', max_length=20)
        job_title = pw.CharField(default='', max_length=100)
        ccie_number = pw.CharField(default='', max_length=20)
        ccde_number = pw.CharField(default='', max_length=20)
        netacad_id = pw.CharField(default='', max_length=40)
        badging_email = pw.CharField(default='', max_length=254)
        testing_vendor_id = pw.CharField(default='', max_length=40)
        is_employee = pw.BooleanField(null=True)
        is_partner = pw.BooleanField(null=True)
        email_notifications = pw.BooleanField(null=True)
        is_netacad_student = pw.BooleanField(null=True)
        verification_consent = pw.BooleanField(null=True)
        settings_confirmed_at = pw.DateTimeField(null=True)
        failed_login_count = pw.IntegerField(default=0)
        first_failed_login_at = pw.DateTimeField(null=True)
        locked_until = pw.DateTimeField(null=True)

        class Meta:
            table_name = "candidate"

    @migrator.create_model
    class AgreementAcceptance(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        agreement = pw.ForeignKeyField(column_name='agreement_id', field='id', model=migrator.orm['agreement'], on_delete='RESTRICT')
        accepted_on = pw.DateField()
        expires_on = pw.DateField(null=True)
        ip_address = pw.CharField(default='', max_length=45)

        class Meta:
            table_name = "agreement_acceptance"
            indexes = [(('candidate', 'accepted_on'), False), (('candidate', 'agreement'), True)]

    @migrator.create_model
    class StaffUser(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        username = pw.CharField(max_length=64, unique=True)
        email = pw.CharField(max_length=254)
        display_name = pw.CharField(default='', max_length=100)
        password_hash = pw.CharField(max_length=255)
        is_active = pw.BooleanField(default=True)
        failed_login_count = pw.IntegerField(default=0)
        first_failed_login_at = pw.DateTimeField(null=True)
        locked_until = pw.DateTimeField(null=True)

        class Meta:
            table_name = "staff_user"

    @migrator.create_model
    class AuditEvent(pw.Model):
        id = pw.AutoField()
        occurred_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], null=True, on_delete='SET NULL')
        staff_user = pw.ForeignKeyField(column_name='staff_user_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='SET NULL')
        action = pw.CharField(max_length=64)
        old_value = pw.TextField(default='')
        new_value = pw.TextField(default='')
        ip_address = pw.CharField(default='', max_length=45)

        class Meta:
            table_name = "audit_event"
            indexes = [(('candidate', 'occurred_at'), False), (('action', 'occurred_at'), False)]

    @migrator.create_model
    class Certification(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=32, unique=True)
        abbreviation = pw.CharField(max_length=32)
        name = pw.CharField(max_length=200)
        group_name = pw.CharField(max_length=200)
        group_order = pw.IntegerField(default=0)
        sort_order = pw.IntegerField(default=0)
        validity_months = pw.IntegerField()
        recertify_from = pw.CharField(default='expiration', max_length=16)
        earn_tree = pw.TextField()
        recertify_tree = pw.TextField(null=True)
        renews = pw.TextField()
        pdf_certificate = pw.BooleanField(default=True)
        description = pw.TextField(default='')

        class Meta:
            table_name = "certification"

    @migrator.create_model
    class CandidateCertification(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        certification = pw.ForeignKeyField(column_name='certification_id', field='id', model=migrator.orm['certification'], on_delete='RESTRICT')
        status = pw.CharField(default='in_progress', max_length=16)
        started_on = pw.DateField(null=True)
        first_earned_on = pw.DateField(null=True)
        active_on = pw.DateField(null=True)
        expires_on = pw.DateField(null=True)
        cycle_started_on = pw.DateField(null=True)
        verification_code = pw.CharField(max_length=20, unique=True)
        badge_id = pw.CharField(max_length=24, unique=True)
        revoked_at = pw.DateTimeField(null=True)
        revocation_reason = pw.TextField(default='')
        initial_kit_claimed = pw.BooleanField(default=False)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "candidate_certification"
            indexes = [(('candidate', 'certification'), True), (('candidate', 'status', 'expires_on'), False)]

    @migrator.create_model
    class ImportBatch(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        kind = pw.CharField(max_length=16)
        filename = pw.CharField(max_length=255)
        sha256 = pw.CharField(max_length=64)
        row_count = pw.IntegerField(default=0)
        staff_user = pw.ForeignKeyField(column_name='staff_user_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='SET NULL')

        class Meta:
            table_name = "import_batch"

    @migrator.create_model
    class CeCredit(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        name = pw.CharField(max_length=200)
        points = pw.IntegerField()
        active_on = pw.DateField()
        inactive_on = pw.DateField()
        review = pw.CharField(default='n/a', max_length=32)
        status = pw.CharField(default='Active', max_length=16)
        provider_name = pw.CharField(default='', max_length=200)
        source = pw.CharField(default='', max_length=64)
        import_source = pw.CharField(default='', max_length=255)
        external_id = pw.CharField(max_length=64, null=True)
        updated_on = pw.DateField()
        import_batch = pw.ForeignKeyField(column_name='import_batch_id', field='id', model=migrator.orm['import_batch'], null=True, on_delete='SET NULL')
        used_for = pw.ForeignKeyField(column_name='used_for_id', field='id', model=migrator.orm['candidate_certification'], null=True, on_delete='SET NULL')
        evidence_filename = pw.CharField(default='', max_length=255)
        reviewed_at = pw.DateTimeField(null=True)
        reviewer = pw.ForeignKeyField(column_name='reviewer_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='SET NULL')
        review_note = pw.TextField(default='')

        class Meta:
            table_name = "ce_credit"
            indexes = [(('candidate', 'active_on'), False), (('source', 'external_id'), True)]

    @migrator.create_model
    class CertificationEvent(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate_certification = pw.ForeignKeyField(column_name='candidate_certification_id', field='id', model=migrator.orm['candidate_certification'], on_delete='CASCADE')
        occurred_on = pw.DateField()
        kind = pw.CharField(max_length=32)
        description = pw.CharField(max_length=255)

        class Meta:
            table_name = "certification_event"
            indexes = [(('candidate_certification', 'occurred_on'), False)]

    @migrator.create_model
    class CertificationGrant(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        certification = pw.ForeignKeyField(column_name='certification_id', field='id', model=migrator.orm['certification'], on_delete='RESTRICT')
        granted_on = pw.DateField()
        staff_user = pw.ForeignKeyField(column_name='staff_user_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='SET NULL')
        reason = pw.TextField(default='')

        class Meta:
            table_name = "certification_grant"
            indexes = [(('candidate', 'granted_on'), False)]

    @migrator.create_model
    class FulfillmentOrder(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        tracking = pw.BooleanField(default=False)
        shipping_cents = pw.IntegerField(default=0)
        total_cents = pw.IntegerField(default=0)
        currency = pw.CharField(default='USD', max_length=3)
        payment_method = pw.CharField(default='', max_length=16)
        status = pw.CharField(default='submitted', max_length=16)
        ship_to = pw.TextField()

        class Meta:
            table_name = "fulfillment_order"
            indexes = [(('candidate', 'created_at'), False)]

    @migrator.create_model
    class EcommerceTransaction(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        order = pw.ForeignKeyField(column_name='order_id', field='id', model=migrator.orm['fulfillment_order'], null=True, on_delete='SET NULL')
        occurred_at = pw.DateTimeField()
        description = pw.CharField(max_length=255)
        item_count = pw.IntegerField(default=1)
        amount_cents = pw.IntegerField()
        currency = pw.CharField(default='USD', max_length=3)
        payment_method = pw.CharField(max_length=16)
        status = pw.CharField(max_length=16)
        reference = pw.CharField(default='', max_length=64)

        class Meta:
            table_name = "ecommerce_transaction"
            indexes = [(('candidate', 'occurred_at'), False)]

    @migrator.create_model
    class EmailToken(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        token_hash = pw.CharField(max_length=64, unique=True)
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        purpose = pw.CharField(max_length=32)
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "email_token"
            indexes = [(('candidate', 'created_at'), False)]

    @migrator.create_model
    class Exam(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=32, unique=True)
        name = pw.CharField(max_length=200)
        validity_months = pw.IntegerField(null=True)
        retired = pw.BooleanField(default=False)

        class Meta:
            table_name = "exam"

    @migrator.create_model
    class ExamResult(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        exam = pw.ForeignKeyField(column_name='exam_id', field='id', model=migrator.orm['exam'], on_delete='RESTRICT')
        registration_number = pw.CharField(max_length=64, unique=True)
        grade = pw.CharField(max_length=8)
        taken_on = pw.DateField()
        expires_on = pw.DateField(null=True)
        import_batch = pw.ForeignKeyField(column_name='import_batch_id', field='id', model=migrator.orm['import_batch'], null=True, on_delete='SET NULL')

        class Meta:
            table_name = "exam_result"
            indexes = [(('candidate', 'taken_on'), False)]

    @migrator.create_model
    class FulfillmentItem(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=64, unique=True)
        certification = pw.ForeignKeyField(column_name='certification_id', field='id', model=migrator.orm['certification'], on_delete='CASCADE')
        name = pw.CharField(max_length=200)
        kind = pw.CharField(max_length=32)
        initial_price_cents = pw.IntegerField(default=0)
        additional_price_cents = pw.IntegerField()
        currency = pw.CharField(default='USD', max_length=3)

        class Meta:
            table_name = "fulfillment_item"

    @migrator.create_model
    class LoginSession(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        token_hash = pw.CharField(max_length=64, unique=True)
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], null=True, on_delete='CASCADE')
        staff_user = pw.ForeignKeyField(column_name='staff_user_id', field='id', model=migrator.orm['staff_user'], null=True, on_delete='CASCADE')
        last_seen_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)
        ip_address = pw.CharField(default='', max_length=45)
        user_agent = pw.CharField(default='', max_length=255)

        class Meta:
            table_name = "login_session"
            indexes = [(('candidate', 'created_at'), False)]

    @migrator.create_model
    class LogoFile(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=64, unique=True)
        certification = pw.ForeignKeyField(column_name='certification_id', field='id', model=migrator.orm['certification'], on_delete='CASCADE')
        title = pw.CharField(max_length=200)
        milestone_years = pw.IntegerField(null=True)
        sort_order = pw.IntegerField(default=0)

        class Meta:
            table_name = "logo_file"

    @migrator.create_model
    class OrderLine(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        order = pw.ForeignKeyField(column_name='order_id', field='id', model=migrator.orm['fulfillment_order'], on_delete='CASCADE')
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        item = pw.ForeignKeyField(column_name='item_id', field='id', model=migrator.orm['fulfillment_item'], on_delete='RESTRICT')
        name = pw.CharField(max_length=200)
        price_cents = pw.IntegerField()
        currency = pw.CharField(default='USD', max_length=3)
        is_initial_claim = pw.BooleanField(default=False)
        verification_code = pw.CharField(max_length=20, null=True, unique=True)
        queued_on = pw.DateField()
        sent_on = pw.DateField(null=True)
        completed_on = pw.DateField(null=True)
        status = pw.CharField(default='n/a', max_length=16)

        class Meta:
            table_name = "order_line"
            indexes = [(('candidate', 'queued_on'), False)]

    @migrator.create_model
    class OutgoingEmail(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], null=True, on_delete='SET NULL')
        kind = pw.CharField(max_length=32)
        to_address = pw.CharField(max_length=254)
        subject = pw.CharField(max_length=255)
        body_text = pw.TextField()
        body_html = pw.TextField(default='')
        status = pw.CharField(default='pending', max_length=16)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(default='')
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "outgoing_email"
            indexes = [(('status', 'created_at'), False), (('candidate', 'created_at'), False)]

    @migrator.create_model
    class SupportCase(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        case_number = pw.CharField(max_length=16, unique=True)
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], null=True, on_delete='SET NULL')
        kind = pw.CharField(default='other', max_length=32)
        contact_email = pw.CharField(max_length=254)
        login_ids = pw.CharField(default='', max_length=255)
        description = pw.TextField()
        status = pw.CharField(default='open', max_length=16)
        resolution = pw.TextField(default='')
        resolved_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "support_case"
            indexes = [(('status', 'created_at'), False)]

    @migrator.create_model
    class Transcript(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        public_id = pw.CharField(max_length=16, unique=True)
        candidate = pw.ForeignKeyField(column_name='candidate_id', field='id', model=migrator.orm['candidate'], on_delete='CASCADE')
        display_name = pw.CharField(max_length=200)
        description = pw.CharField(default='', max_length=200)
        remarks = pw.TextField(default='')
        show_dates = pw.BooleanField(default=True)
        show_address = pw.BooleanField(default=False)
        only_active = pw.BooleanField(default=True)
        selection = pw.CharField(default='active', max_length=16)
        expires_on = pw.DateField()
        disabled_at = pw.DateTimeField(null=True)
        updated_at = pw.DateTimeField()
        view_count = pw.IntegerField(default=0)
        last_viewed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "transcript"
            indexes = [(('candidate', 'created_at'), False)]

    @migrator.create_model
    class TranscriptCertification(pw.Model):
        id = pw.AutoField()
        transcript = pw.ForeignKeyField(column_name='transcript_id', field='id', model=migrator.orm['transcript'], on_delete='CASCADE')
        certification = pw.ForeignKeyField(column_name='certification_id', field='id', model=migrator.orm['certification'], on_delete='CASCADE')

        class Meta:
            table_name = "transcript_certification"
            indexes = [(('transcript', 'certification'), True)]

    @migrator.create_model
    class TranscriptView(pw.Model):
        id = pw.AutoField()
        transcript = pw.ForeignKeyField(column_name='transcript_id', field='id', model=migrator.orm['transcript'], on_delete='CASCADE')
        viewed_at = pw.DateTimeField()
        viewer_hash = pw.CharField(default='', max_length=64)
        user_agent = pw.CharField(default='', max_length=255)

        class Meta:
            table_name = "transcript_view"
            indexes = [(('transcript', 'viewed_at'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    
    migrator.remove_model('transcript_view')

    migrator.remove_model('transcript_certification')

    migrator.remove_model('transcript')

    migrator.remove_model('support_case')

    migrator.remove_model('outgoing_email')

    migrator.remove_model('order_line')

    migrator.remove_model('logo_file')

    migrator.remove_model('login_session')

    migrator.remove_model('fulfillment_item')

    migrator.remove_model('exam_result')

    migrator.remove_model('exam')

    migrator.remove_model('email_token')

    migrator.remove_model('ecommerce_transaction')

    migrator.remove_model('fulfillment_order')

    migrator.remove_model('certification_grant')

    migrator.remove_model('certification_event')

    migrator.remove_model('ce_credit')

    migrator.remove_model('import_batch')

    migrator.remove_model('candidate_certification')

    migrator.remove_model('certification')

    migrator.remove_model('audit_event')

    migrator.remove_model('staff_user')

    migrator.remove_model('agreement_acceptance')

    migrator.remove_model('candidate')

    migrator.remove_model('agreement')
