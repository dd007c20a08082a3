"""The migrations build exactly the schema the models describe, on the test's engine."""

from certportal.db import database
from certportal.models import ALL_MODELS


def test_migrated_tables_have_every_model_column(db):
    tables = set(database.get_tables())
    for model in ALL_MODELS:
        table = model._meta.table_name
        assert table in tables, f"no migration creates {table}"
        migrated = {column.name for column in database.get_columns(table)}
        declared = {field.column_name for field in model._meta.sorted_fields}
        assert migrated == declared, f"{table}: migrations and model differ"


def test_every_declared_index_exists(db):
    for model in ALL_MODELS:
        table = model._meta.table_name
        migrated = {
            (tuple(index.columns), index.unique) for index in database.get_indexes(table)
        }
        for fields, unique in model._meta.indexes:
            columns = tuple(model._meta.fields[name].column_name for name in fields)
            assert (columns, unique) in migrated, f"{table}: missing index on {columns}"


def test_per_candidate_lists_have_a_date_ordered_index(db):
    expected = {
        "exam_result": ("candidate_id", "taken_on"),
        "ce_credit": ("candidate_id", "active_on"),
        "order_line": ("candidate_id", "queued_on"),
        "ecommerce_transaction": ("candidate_id", "occurred_at"),
        "transcript": ("candidate_id", "created_at"),
        "agreement_acceptance": ("candidate_id", "accepted_on"),
        "audit_event": ("candidate_id", "occurred_at"),
    }
    for table, columns in expected.items():
        indexed = {tuple(index.columns) for index in database.get_indexes(table)}
        assert columns in indexed, f"{table} has no index on {columns}"
