# Sourced by pg-instructions.sh and pg-group-instructions.sh: the PostgreSQL binaries, valgrind, a work directory
# owned by the server's user (kept when KEEP is set), and as_pg to run a command as that user.
# Usage: source pg-callgrind-common.sh <work directory prefix>
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$bin/postgres" ] || { echo "PostgreSQL server binaries are needed (apt-get install postgresql)" >&2; exit 1; }
work="$(mktemp -d "/tmp/$1.XXXXXX")"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
