-- kassa_changed(n) fails its statement, and so the transaction, when n
-- is 0. A write that must change a row (an update of a row that may be
-- gone, an upsert that must not replace an answered record) is sent as
--   WITH changed AS (<write> RETURNING 1) SELECT kassa_changed(count(*)) FROM changed
-- in the same round trip as COMMIT: PostgreSQL would commit a write that
-- matched no row, so without this the write takes a round trip of its own
-- to be checked before COMMIT is sent. P0002 is no_data_found.
CREATE FUNCTION kassa_changed(n bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	IF n = 0 THEN
		RAISE EXCEPTION 'the write changed no row' USING ERRCODE = 'P0002';
	END IF;
	RETURN n;
END
$$;
