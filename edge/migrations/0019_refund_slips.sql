-- Who approved a refund: the manager whose PIN let a cashier give it, or the manager who gave it.
-- Its slip names them, printed again long after the refund's event may be forgotten
-- (`keep_synced_days`). NULL: a refund recorded before (its event names the approver).
ALTER TABLE refunds ADD COLUMN approved_by TEXT;

-- A check's refunds, read with its tenders (its receipt, the POS, the digital receipt).
CREATE INDEX refunds_payment ON refunds (payment_id);
