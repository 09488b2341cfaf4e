/*
 * microcred upgrade script 0.2 -> 0.3 (ALTER EXTENSION microcred UPDATE).
 *
 * Built by the Makefile from the parts of pg_extension/upgrade/0.2--0.3/, in
 * order: each part migrates what one change of 0.3 changed in 0.2's tables
 * (new tables, columns, data, views, triggers, policies, grants, and DROP
 * FUNCTION for a changed signature); the bundled JSON-LD contexts of 0.3
 * follow, and the generated replay of every function of the 0.3 install
 * script (99_replay.sql) ends it.  tests/t/upgrade.sh checks that 0.2 (and
 * 0.1, through 0.1--0.2) + this script gives the same schema as a fresh 0.3
 * install, with the data of a filled database intact.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION microcred UPDATE TO '0.3'" to load this file. \quit
