-- 17_bulk_fast: the signed document of a credential goes back to the TOAST
-- table (STORAGE EXTENDED, the default, as in 0.2; scripts/11_catalog.sql),
-- so a status change does not write a new copy of it (rows stored inline
-- stay so until a status change writes their next version), and half of
-- each page of credentials stays free, so a status change is a HOT update.
-- A status list keeps its bitstring (status_list.bits, written
-- once per list by each status change; C: statuslist_sql.c), so the
-- partial index of the set entries goes and a status change of an entry is a
-- HOT update (half of each status_entry page kept free for it).  The C
-- functions are created here so the bits of existing lists can be filled
-- from their entries; the replay that ends this script gives them their 0.3
-- comments.
ALTER TABLE microcred.status_list ADD COLUMN bits bytea;
COMMENT ON COLUMN microcred.status_list.bits IS
    'the bitstring as published (index 0 the first byte''s high bit; NULL while no bit was ever set): status_entry.set of every entry, written once per list by each status change';
CREATE FUNCTION microcred._status_bits(bits bytea, size integer, indexes integer[], value boolean)
RETURNS bytea
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_bits';
CREATE FUNCTION microcred._status_encode_bits(size integer, bits bytea)
RETURNS text
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode_bits';
REVOKE ALL ON FUNCTION microcred._status_bits(bytea, integer, integer[], boolean),
                       microcred._status_encode_bits(integer, bytea) FROM PUBLIC;
UPDATE microcred.status_list l
   SET bits = microcred._status_bits(NULL, l.size, s.idxs, true)
  FROM (SELECT e.list_id, array_agg(e.idx) AS idxs FROM microcred.status_entry e WHERE e.set GROUP BY e.list_id) s
 WHERE s.list_id = l.id;
DROP INDEX microcred.status_entry_set;
ALTER TABLE microcred.status_entry SET (fillfactor = 50);
ALTER TABLE microcred.issued_credential ALTER COLUMN document SET STORAGE EXTENDED;
ALTER TABLE microcred.issued_credential SET (fillfactor = 50);
