-- The money rules, held by the database itself and not only by the code that writes: a customer's
-- account (wallet or held) never goes below zero. (That each ledger transaction sums to zero is
-- checked before its writing transaction commits: SQLite has no triggers that wait for a commit.)
CREATE TRIGGER ledger_accounts_customer_floor BEFORE UPDATE OF balance ON ledger_accounts
    WHEN NEW.balance < 0 AND NEW.may_go_negative = 0
BEGIN
    SELECT RAISE(ABORT, 'a customer account cannot go below zero');
END;
CREATE TRIGGER ledger_accounts_customer_floor_insert BEFORE INSERT ON ledger_accounts
    WHEN NEW.balance < 0 AND NEW.may_go_negative = 0
BEGIN
    SELECT RAISE(ABORT, 'a customer account cannot go below zero');
END;
