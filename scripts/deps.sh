# scripts/deps.sh - sourced by scripts/run and scripts/test.
# Installs the Debian 12 packages logd needs to build and test, if any is missing.

LOGD_BUILD_DEPS="gcc libc6-dev pkg-config meson ninja-build libevent-dev libsystemd-dev
libinih-dev libzstd-dev libjansson-dev check libssl-dev librelp-dev"
# rsyslog (with its OpenSSL netstream driver): the collector the forwarding tests
# (tests/e2e/test_forward.py) send to; the tests start it themselves (rsyslogd -n
# -f CONF), never as a service (see below).  openssl makes their certificates.
LOGD_TEST_DEPS="python3 groff-base valgrind zstd systemd curl util-linux rsyslog
rsyslog-openssl rsyslog-relp openssl"
# tests/fuzz/run: libFuzzer comes with clang (libclang-common-*-dev).
LOGD_FUZZ_DEPS="clang"
# tests/bench/run --peers: rsyslogd (tests/bench/peers.sh unpacks syslog-ng: it conflicts).
LOGD_BENCH_DEPS="rsyslog"

logd_install_deps() {
	local missing="" pkg
	for pkg in $LOGD_BUILD_DEPS "$@"; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "logd: missing packages:$missing" >&2
		echo "logd: run this script as root, or: sudo apt-get install$missing" >&2
		return 1
	fi
	echo "logd: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# No package's postinst may start a service here (rsyslog's would start a
	# system rsyslogd where systemd is not init): policy-rc.d exit 101 forbids it.
	local policy=/usr/sbin/policy-rc.d keep="" rc
	[ -e "$policy" ] && keep=$(mktemp) && cp -p "$policy" "$keep"
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
	apt-get update -q >&2 &&
	apt-get install -y -q --no-install-recommends $missing >&2
	rc=$?
	if [ -n "$keep" ]; then mv -f "$keep" "$policy"; else rm -f "$policy"; fi
	return $rc
}

# logd_build DIR [meson setup options...]: configure DIR once, then compile it.
logd_build() {
	local dir="$1"
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >&2 || return 1
	fi
	meson compile -C "$dir" >&2
}
