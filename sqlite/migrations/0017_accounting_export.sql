-- The accounting export (docs/accounting.md) reads a merchant's documents
-- issued, and payments booked, in a period.

CREATE INDEX documents_merchant_issued ON documents (merchant_id, created_at);
CREATE INDEX bank_payments_merchant_booked ON bank_payments (merchant_id, booked_at);
