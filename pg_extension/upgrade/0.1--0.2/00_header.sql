/*
 * microcred upgrade script 0.1 -> 0.2 (ALTER EXTENSION microcred UPDATE).
 *
 * Built by the Makefile from the parts of pg_extension/upgrade/0.1--0.2/, in
 * order: each part migrates what one change of 0.2 changed in 0.1's tables
 * and replaces what it changed in 0.1's functions.  tests/t/upgrade.sh checks
 * that 0.1 + this script gives the same schema as a fresh 0.2 install, with
 * the data of a filled 0.1 database intact.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION microcred UPDATE TO '0.2'" to load this file. \quit
