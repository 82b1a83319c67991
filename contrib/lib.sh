# SPDX-License-Identifier: ISC
# Shared by contrib/check.sh and contrib/try.sh: dependencies and builds.
# Source it; it expects bash and `set -euo pipefail` in the caller.

JIT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages to build and test jit.
JIT_BUILD_PACKAGES=(
	gcc make autoconf automake libtool pkg-config scdoc
	libsodium-dev libjansson-dev libsqlite3-dev libpq-dev libssh-dev libnftables-dev libnetfilter-conntrack-dev libipset-dev
	libpam0g-dev libcmocka-dev
)
# What the scenarios in network namespaces use (contrib/try.sh and the
# tests): the firewall, and OpenSSH's client and the libraries of its server.
JIT_SCENARIO_PACKAGES=(iproute2 nftables openssh-client libwrap0 libgssapi-krb5-2 libkrb5-3)
# clang and its libFuzzer runtime for the fuzz targets (contrib/fuzz.sh).
JIT_FUZZ_PACKAGES=(clang libclang-rt-14-dev)
# Only for contrib/check.sh: static analysers, and what the other tests drive
# and inspect.
JIT_CHECK_PACKAGES=("${JIT_SCENARIO_PACKAGES[@]}" cppcheck clang-tidy valgrind groff-base
	iptables ipset pamtester systemd strace jq debhelper lintian sqlite3 postgresql-15)

say() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

package_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# install_missing PKG...: apt-get installs those not yet installed.
install_missing() {
	local missing=() p
	for p in "$@"; do
		package_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# jit_test_sshd DIR: prints the path of an sshd for the end-to-end tests.
# The system's when openssh-server is installed; otherwise Debian's package
# is downloaded and unpacked into DIR, never installed, so this machine's
# sshd, users and PAM files stay as they are (its libraries are in
# JIT_CHECK_PACKAGES).
jit_test_sshd() {
	local dir=$1
	if [ -x /usr/sbin/sshd ]; then
		echo /usr/sbin/sshd
		return 0
	fi
	if [ ! -x "$dir/usr/sbin/sshd" ]; then
		mkdir -p "$dir"
		(cd "$dir" && rm -f openssh-server_*.deb &&
			{ apt-get download -q -o APT::Sandbox::User=root openssh-server >/dev/null ||
				{ apt-get update -q >/dev/null &&
					apt-get download -q -o APT::Sandbox::User=root openssh-server >/dev/null; }; } &&
			dpkg-deb -x openssh-server_*.deb .) >&2 || return 1
	fi
	echo "$dir/usr/sbin/sshd"
}

# jit_configure_build DIR [CONFIGURE ARGS...]: out-of-tree build in DIR.
jit_configure_build() {
	local dir=$1
	shift
	if [ ! -x "$JIT_TOP/configure" ] || [ "$JIT_TOP/configure.ac" -nt "$JIT_TOP/configure" ]; then
		(cd "$JIT_TOP" && autoreconf -fi)
	fi
	mkdir -p "$dir"
	(cd "$dir" && "$JIT_TOP/configure" -q "$@" && make -j"$(nproc)" -s)
}
