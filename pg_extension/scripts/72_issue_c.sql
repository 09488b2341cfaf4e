/*
 * microcred install script, part 72: storage of issued documents.
 *
 * A signed document (about 5 KB, 2-3 KB after lz4) is kept in the row,
 * compressed, rather than moved to the TOAST table: storing it out of line
 * cost a second heap insert and a TOAST index insert per credential (9% of
 * issuing in the profile of docs/ARCHITECTURE.md) and a second lookup per
 * read.  PostgreSQL still moves it out of line when a row would not fit in
 * a page.
 */
ALTER TABLE microcred.issued_credential ALTER COLUMN document SET STORAGE MAIN;
