-- documents_list (merchant_id, created_at, id) serves every query
-- documents_merchant_issued (merchant_id, created_at) did, the accounting
-- export's range of a merchant's documents by issue time among them; the
-- second index only cost each issued document another entry to write.
DROP INDEX documents_merchant_issued;
