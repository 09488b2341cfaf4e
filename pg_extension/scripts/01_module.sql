/*
 * microcred install script, part 0.1: functions of the C module itself.
 */

CREATE FUNCTION microcred.version()
RETURNS text
LANGUAGE C STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_version';
COMMENT ON FUNCTION microcred.version() IS
    'version of the microcred library and of the OpenSSL it runs with';
