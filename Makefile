# microcred: PostgreSQL extension (pg_extension/) and LTI 1.3 bridge (lti_bridge/)
#
#   make            build the extension and the bridge
#   make install    install both (as root)
#   make extension  build the extension only (PostgreSQL, OpenSSL and zlib headers)
#   make install-extension   install the extension only (as root)
#   make test       install missing Debian packages (as root), build, install
#                   into a temporary installation, run every test against a
#                   throwaway cluster
#   make installcheck        the pg_regress suites against a running server
#   make run        a local cluster under .run/ with the demo, until Ctrl-C
#   make bench      benchmarks, printed as ratios measured in the same run
#   make fuzz       build and briefly run the libFuzzer targets (clang)

EXTENSION    = microcred
EXTVERSION  := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" microcred.control)

PG_CONFIG   ?= /usr/lib/postgresql/15/bin/pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# C of the extension: pure cores (no PostgreSQL headers, unit-tested and
# fuzzed outside the server) and the SQL-callable layer.
CORE_SRCS    = pg_extension/mc_arena.c \
               pg_extension/mcjson.c pg_extension/mcj_utf8.c pg_extension/mcj_parse.c \
               pg_extension/mcj_number.c pg_extension/jcs.c \
               pg_extension/multibase.c pg_extension/mcc_key.c pg_extension/mcc_seal.c \
               pg_extension/mcc_keyfmt.c pg_extension/mcc_sign.c \
               pg_extension/jws.c pg_extension/di.c pg_extension/datetime.c pg_extension/vc.c \
               pg_extension/rdf.c pg_extension/nquads.c pg_extension/rdfc.c \
               pg_extension/jsonld_core.c pg_extension/jsonld_iri.c pg_extension/jsonld_cache.c \
               pg_extension/jsonld_context.c pg_extension/jsonld_process.c pg_extension/jsonld_expand.c pg_extension/jsonld_maps.c \
               pg_extension/jsonld_value.c \
               pg_extension/jsonld_rdf.c \
               pg_extension/jsonld.c \
               pg_extension/statuslist.c pg_extension/ob3_check.c pg_extension/ob3.c \
               pg_extension/holder_proof.c
SQL_SRCS     = pg_extension/microcred.c pg_extension/crypto_sql.c pg_extension/json_sql.c \
               pg_extension/canon_sql.c pg_extension/keys_sql.c \
               pg_extension/proof_sql.c pg_extension/verify_status_sql.c pg_extension/keycache_sql.c pg_extension/document_sql.c pg_extension/parts_sql.c \
               pg_extension/rdf_sql.c pg_extension/audit_sql.c pg_extension/status_alloc_sql.c pg_extension/issue_type_sql.c pg_extension/issue_sql.c \
               pg_extension/statuslist_sql.c pg_extension/ob3_sql.c pg_extension/holder_proof_sql.c
MODULE_big   = microcred
OBJS         = $(patsubst %.c,%.o,$(SQL_SRCS) $(CORE_SRCS))
# (65_contexts.sql is generated from pg_extension/contexts/, so it is named
# even before it exists)
CONTEXTS_PART = pg_extension/scripts/65_contexts.sql
SCRIPT_PARTS = $(sort $(wildcard pg_extension/scripts/[0-9]*.sql) $(CONTEXTS_PART))
# Versions: the install scripts of released versions are frozen, byte for
# byte, in pg_extension/released/ (checked against SHA256SUMS by
# tests/t/version_policy.sh); the current version's install script is built
# from the parts, and each upgrade script microcred--A--B.sql from the parts
# in pg_extension/upgrade/A--B/.  README "Upgrading" has the policy.
RELEASED     = $(sort $(wildcard pg_extension/released/microcred--*.sql))
UPGRADE_DIRS = $(sort $(wildcard pg_extension/upgrade/*--*))
UPGRADES     = $(patsubst pg_extension/upgrade/%,microcred--%.sql,$(UPGRADE_DIRS))
DATA         = $(RELEASED)
DATA_built   = microcred--$(EXTVERSION).sql $(UPGRADES)
# pg_regress suites: every sql/*.sql.  make test runs them in one database in
# the order of sql/fixtures/order, each building on the state the earlier
# ones left, then any suite not listed there, and cleanup (which drops the
# cluster-wide regression roles) last.  Each suite also runs alone, e.g.
# make installcheck REGRESS=stack (sql/fixtures/standalone.sql replays the
# suites it builds on; tests/t/regress_alone.sh runs every suite so).
REGRESS_ALL   = $(patsubst sql/%.sql,%,$(wildcard sql/*.sql))
REGRESS_ORDER = $(shell grep -v '^\#' sql/fixtures/order)
REGRESS      = $(filter $(REGRESS_ALL),$(REGRESS_ORDER)) \
               $(sort $(filter-out $(REGRESS_ORDER) cleanup,$(REGRESS_ALL))) \
               $(filter cleanup,$(REGRESS_ALL))
PG_CPPFLAGS  = -std=c11 -D_GNU_SOURCE -DMICROCRED_VERSION=\"$(EXTVERSION)\" -Ipg_extension
SHLIB_LINK   = -lcrypto -lz -lm
EXTRA_CLEAN  = tests/bin $(CONTEXTS_PART)

.PHONY: deps test run bench fuzz unit print-core-srcs print-sql-srcs bridge install-bridge clean-bridge extension install-extension

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
else
all install:
	@echo "microcred: PostgreSQL 15 server development files are missing ($(PG_CONFIG) --pgxs)." >&2
	@echo "Run 'make deps' as root (installs postgresql-server-dev-15 and the rest), or 'tests/deps.sh' to list what is missing." >&2
	@exit 1
endif

# the library reports the version of microcred.control
pg_extension/microcred.o: microcred.control

# the bundled JSON-LD contexts as an install-script part (generated, not committed)
$(CONTEXTS_PART): pg_extension/contexts/to_sql.sh pg_extension/contexts/urls.txt $(wildcard pg_extension/contexts/*.json*)
	sh pg_extension/contexts/to_sql.sh > $@.tmp && mv $@.tmp $@

# the install script: the numbered parts of pg_extension/scripts, in order
microcred--$(EXTVERSION).sql: $(SCRIPT_PARTS) microcred.control
	cat $(SCRIPT_PARTS) > $@

# an upgrade script: the parts of pg_extension/upgrade/A--B/, in order, with
# the bundled contexts of the new version before the generated function
# replay (99_replay.sql) that ends it
CONTEXT_FILES = pg_extension/contexts/to_sql.sh pg_extension/contexts/urls.txt $(wildcard pg_extension/contexts/*.json*)
.SECONDEXPANSION:
$(UPGRADES): microcred--%.sql: $$(sort $$(wildcard pg_extension/upgrade/%/*.sql)) $(CONTEXT_FILES)
	{ cat $(filter-out %/99_replay.sql,$(filter pg_extension/upgrade/%,$^)); \
	  sh pg_extension/contexts/to_sql.sh data; \
	  cat $(filter %/99_replay.sql,$^); } > $@

# `make` builds the bridge too; NO_BRIDGE=1 (make extension) only what a DBA needs
ifeq ($(NO_BRIDGE),)
all: bridge
install: install-bridge
endif
extension:
	$(MAKE) all NO_BRIDGE=1
install-extension:
	$(MAKE) install NO_BRIDGE=1

bridge:
	$(MAKE) -C lti_bridge VERSION=$(EXTVERSION)

install-bridge:
	$(MAKE) -C lti_bridge install VERSION=$(EXTVERSION)

clean: clean-bridge
clean-bridge:
	$(MAKE) -C lti_bridge clean

# unit tests and conformance drivers of the pure cores (tests/unit, tests/conformance)
UNIT_CFLAGS  = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Ipg_extension
UNIT_LIBS    = -lcrypto -lz -ljansson -lm
UNIT_PROGS   = $(patsubst tests/unit/%.c,tests/bin/%,$(wildcard tests/unit/*.c)) \
               $(patsubst tests/conformance/%.c,tests/bin/%,$(wildcard tests/conformance/*.c))

# the cores are compiled once for all unit tests, conformance drivers and
# corpus replays (tests/bin/obj/*.o), then linked into each program
UNIT_OBJS    = $(patsubst pg_extension/%.c,tests/bin/obj/%.o,$(CORE_SRCS))

tests/bin/obj/%.o: pg_extension/%.c $(wildcard pg_extension/*.h)
	@mkdir -p tests/bin/obj
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

tests/bin/%: tests/unit/%.c $(UNIT_OBJS) $(wildcard pg_extension/*.h) tests/lib/tap.h
	@mkdir -p tests/bin
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJS) $(UNIT_LIBS)

tests/bin/%: tests/conformance/%.c $(UNIT_OBJS) $(wildcard pg_extension/*.h)
	@mkdir -p tests/bin
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJS) $(UNIT_LIBS)

# every fuzz target is also replayed over its corpus by make test
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_PROGS = $(patsubst %,tests/bin/replay_%,$(FUZZ_TARGETS))

tests/bin/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(UNIT_OBJS) $(wildcard pg_extension/*.h)
	@mkdir -p tests/bin
	$(CC) $(UNIT_CFLAGS) -DCORPUS_DIR=\"$(CURDIR)/tests/fuzz/corpus/$*\" -o $@ $< tests/fuzz/replay.c $(UNIT_OBJS) $(UNIT_LIBS)

unit: $(UNIT_PROGS) $(REPLAY_PROGS)

# the pure cores, for tests/fuzz/run.sh and tests/t/code_shape.sh
print-core-srcs:
	@echo $(CORE_SRCS)
print-sql-srcs:
	@echo $(SQL_SRCS)

deps:
	tests/deps.sh

# installs into a temporary installation (tests/lib/tmp_install.sh), never
# into the system's PostgreSQL
# (with_llvm=no: no JIT bitcode, which tests do not need and which doubles the build)
test:
	tests/deps.sh
	$(MAKE) all unit with_llvm=no
	$(MAKE) -C lti_bridge tests
	tests/run_tests.sh $(strip $(REGRESS))

run:
	tests/deps.sh
	$(MAKE) all
	$(MAKE) install
	tests/run_demo.sh

bench:
	tests/deps.sh bench
	$(MAKE) all
	tests/bench.sh

fuzz:
	tests/deps.sh fuzz
	tests/fuzz/run.sh
