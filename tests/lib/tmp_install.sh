# tests/lib/tmp_install.sh: a private PostgreSQL installation with this
# checkout's microcred in it, as PostgreSQL's own `make check` does.  Sourced
# by the runners.
#
#   tmp_install DIR    copy the server's bin/lib/share into DIR (same layout
#                      under DIR as on the system), `make install DESTDIR=DIR`,
#                      and point PG_CONFIG, PG_BINDIR, PG_PKGLIBDIR at the copy
#
# PostgreSQL finds its share and lib directories relative to the running
# binary, so the copied server loads the extension installed into DIR and
# never the system's.  Tests therefore need no root for installing, and two
# checkouts (git worktrees) can run their tests at once without overwriting
# each other's extension files.  Needs nothing but cp and make.

tmp_install() {
    dest=$1
    sys_config=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
    sys_bindir=$("$sys_config" --bindir) || return 1
    sys_sharedir=$("$sys_config" --sharedir)
    sys_root=$(dirname "$sys_bindir")          # /usr/lib/postgresql/15
    mkdir -p "$dest$(dirname "$sys_root")" "$dest$(dirname "$sys_sharedir")" || return 1
    cp -a "$sys_root" "$dest$(dirname "$sys_root")/" || return 1
    cp -a "$sys_sharedir" "$dest$(dirname "$sys_sharedir")/" || return 1
    # whatever an earlier system-wide `make install` left must not be found
    rm -f "$dest$sys_sharedir"/extension/microcred[-.]*
    rm -f "$dest$("$sys_config" --pkglibdir)"/microcred.so
    make -s -C "$top" install-extension with_llvm=no DESTDIR="$dest" PG_CONFIG="$sys_config" >"$dest/install.log" 2>&1 || {
        cat "$dest/install.log" >&2
        echo "microcred: installing into the temporary installation $dest failed" >&2
        return 1
    }
    PG_CONFIG=$dest$sys_bindir/pg_config
    PG_BINDIR=$("$PG_CONFIG" --bindir)
    PG_PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
    PG_SHAREDIR=$("$PG_CONFIG" --sharedir)
    PATH=$PG_BINDIR:$PATH
    export PG_CONFIG PG_BINDIR PG_PKGLIBDIR PG_SHAREDIR PATH
    # the cluster's OS user must be able to read it all
    chmod -R a+rX "$dest"
}
