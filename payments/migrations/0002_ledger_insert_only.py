"""The database itself refuses to change or delete ledger rows: the
bookkeeping is append-only even for code that forgets, and for a console.
Only ``by_id`` of a transaction may change, because deleting a staff user
sets it to NULL. TRUNCATE (the test suite's flush) is not a row operation
and is not affected."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION payments_ledger_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are insert-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER payments_ledgerentry_insert_only
    BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_insert_only();
CREATE TRIGGER payments_ledgertransaction_insert_only
    BEFORE DELETE OR UPDATE OF kind, amount, payment_id, idempotency_key, note, created_at
    ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_insert_only();
"""

BACKWARD = """
DROP TRIGGER payments_ledgertransaction_insert_only ON payments_ledgertransaction;
DROP TRIGGER payments_ledgerentry_insert_only ON payments_ledgerentry;
DROP FUNCTION payments_ledger_insert_only();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
