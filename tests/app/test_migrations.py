"""The Alembic migrations and the models describe the same schema."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from app.core.db import metadata, sync_url
from app.models import MODEL_MODULES, import_all_models

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "loyalty", "referrals", "crm", "webhooks", "frontend")


def test_every_models_module_in_the_code_is_imported_for_the_schema():
    # given every `models.py` in the project's packages (app/models.py is the list itself)
    found = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in PACKAGES
        for path in (ROOT / package).rglob("models.py")
    } - {"app.models"}
    # then Alembic's environment and the tests import each of them
    assert found == set(MODEL_MODULES)


def test_every_model_module_registers_its_tables():
    import_all_models()
    owners = {table.name: table for table in metadata.sorted_tables}
    assert {
        "shops",
        "shop_tokens",
        "compliance_exports",
        "webhook_inbox",
        "loyalty_members",
        "loyalty_ledger_entries",
        "loyalty_orders",
        "loyalty_refunds",
        "loyalty_programs",
        "loyalty_tier_changes",
        "referral_codes",
        "crm_customers",
        "crm_orders",
        "crm_order_lines",
    } <= set(owners)


def test_migrated_database_matches_the_models(database_url):
    # given the test database, built by `alembic upgrade head`
    import_all_models()
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        # when Alembic compares it with the models
        differences = compare_metadata(context, metadata)
    engine.dispose()
    # then there is nothing a new migration would have to do
    assert differences == []
