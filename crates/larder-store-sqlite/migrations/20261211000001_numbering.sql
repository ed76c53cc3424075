-- Numbering after commit (ADR 025 and 026, amended). PostgreSQL numbers events and audit
-- records after their transaction commits and orders a target's records by a global `pos`;
-- SQLite's one writer still numbers them in the transaction, and `pos` is the record's
-- number, so the statements that order by it are one for both backends.
DROP TRIGGER audit_log_no_update;
ALTER TABLE audit_log ADD COLUMN pos INTEGER;
UPDATE audit_log SET pos = seq;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
DROP INDEX audit_log_target;
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_id, pos);
