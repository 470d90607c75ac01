#!/usr/bin/env bash
# tests/bench/peers.sh DIR - the peers that tests/bench/run --peers runs beside logd:
# rsyslogd and syslog-ng, as ordinary programs (never as system services).
#
# rsyslogd is the installed one (scripts/deps.sh: LOGD_BENCH_DEPS installs it; on a
# host with systemd, Debian's package then runs its own service: this script never does).
# syslog-ng is the installed one if there is one; else Debian's syslog-ng-core,
# which conflicts with rsyslog and so cannot be installed beside it: its .deb
# and those of the libraries it needs that are not installed are fetched with
# apt-get download into DIR/debs and unpacked with dpkg-deb -x into DIR/root,
# which runs no maintainer script and starts no service.  Done once per DIR.
#
# Prints, one a line: rsyslogd=PATH, rsyslog-from=WHERE, syslog-ng=PATH,
# syslog-ng-from=WHERE (which package, installed or unpacked), syslog-ng-modules=DIR
# (empty: its built-in module path) and syslog-ng-libs=DIR[:DIR] (for
# LD_LIBRARY_PATH; empty if none is needed).  Exits 1, saying why, if either
# cannot be had.
set -u
dir="${1:?usage: tests/bench/peers.sh DIR}"
cd "$(dirname "$0")/../.." || exit 1
. scripts/deps.sh

# shellcheck disable=SC2086 # lists of package names
logd_install_deps $LOGD_BENCH_DEPS || exit 1
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || { echo "peers: rsyslogd is not installed" >&2; exit 1; }
echo "rsyslogd=$rsyslogd"
echo "rsyslog-from=$(dpkg-query -W -f='package ${Package} ${Version}, installed' \
	rsyslog 2>/dev/null)"

if sng=$(command -v syslog-ng) || [ -x /usr/sbin/syslog-ng ]; then
	echo "syslog-ng=${sng:-/usr/sbin/syslog-ng}"
	echo "syslog-ng-from=$(dpkg-query -W -f='package ${Package} ${Version}, installed' \
		syslog-ng-core 2>/dev/null)"
	echo "syslog-ng-modules="
	echo "syslog-ng-libs="
	exit 0
fi

mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
root="$dir/root"
libs="$root/usr/lib/syslog-ng:$root/usr/lib/x86_64-linux-gnu"
if [ ! -x "$root/usr/sbin/syslog-ng" ]; then
	# syslog-ng-core's Depends that a Debian 12 system without syslog-ng lacks.
	pkgs="syslog-ng-core"
	for pkg in libivykis0 libnet1 libwrap0; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
			grep -q '^install ok installed$' || pkgs="$pkgs $pkg"
	done
	rm -rf "$dir/debs" "$root"
	mkdir -p "$dir/debs"
	# Without a package list apt-get download finds nothing: update it (as root) and retry.
	# shellcheck disable=SC2086
	if ! (cd "$dir/debs" && apt-get download $pkgs) >"$dir/download.log" 2>&1; then
		[ "$(id -u)" -eq 0 ] && apt-get update -q >&2
		# shellcheck disable=SC2086
		(cd "$dir/debs" && apt-get download $pkgs) >&2 || {
			echo "peers: apt-get download $pkgs failed" >&2
			exit 1
		}
	fi
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root" || exit 1
	done
fi
missing=$(LD_LIBRARY_PATH="$libs" ldd "$root/usr/sbin/syslog-ng" | grep 'not found')
if [ -n "$missing" ]; then
	echo "peers: syslog-ng in $root lacks libraries (install them):" >&2
	echo "$missing" >&2
	exit 1
fi
echo "syslog-ng=$root/usr/sbin/syslog-ng"
echo "syslog-ng-from=$(dpkg-deb -f "$dir"/debs/syslog-ng-core_*.deb Package Version |
	sed -n 's/^Package: /package /p; s/^Version: //p' | paste -sd ' '), unpacked in $dir"
modules=("$root"/usr/lib/syslog-ng/[0-9]*)
echo "syslog-ng-modules=${modules[0]}"
echo "syslog-ng-libs=$libs"
