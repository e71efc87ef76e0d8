#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh - install the Debian packages memvigil needs to build and test.
# Silent and quick when everything is present; otherwise installs what is
# missing, enabling bookworm-backports for libbpf >= 1.4 and bpftool.
set -euo pipefail

# package[:minimum version]
PKGS=(
	make gcc clang llvm pkg-config
	libbpf-dev:1:1.4 bpftool:7.4
	libelf-dev zlib1g-dev libcriterion-dev
	# symbols: DWARF lines (libdw), debuginfod, MiniDebugInfo (xz); eu-* tools for tests
	libdw-dev libdebuginfod-dev liblzma-dev elfutils xz-utils
	# dwz shares DWARF between debug files as Debian's debug packages do (tests)
	dwz
	python3 python3-jsonschema libc6-dbg
	# g++ brings GCC's libsupc++.a, whose __cxa_demangle memvigil links statically
	g++ libc6-dev libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev
	qemu-system-x86 busybox-static
	# go tool pprof reads the --pprof profiles in the integration tests
	golang-go
	# the HTML report's tests load it in headless Chromium (WebDriver)
	chromium chromium-driver
	# --listen's HTTP server; promtool (from prometheus) checks /metrics in the tests
	libmicrohttpd-dev prometheus
	# the Kubernetes manifests are parsed in the tests
	python3-yaml
)
BACKPORTED="libbpf-dev bpftool"

missing=()
for spec in "${PKGS[@]}"; do
	pkg=${spec%%:*}
	min=${spec#*:}
	[ "$min" = "$spec" ] && min=
	ver=$(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null |
		awk '$3=="installed"{print $4}') || true
	if [ -z "$ver" ]; then
		missing+=("$pkg")
	elif [ -n "$min" ] && dpkg --compare-versions "$ver" lt "$min"; then
		missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root (or install them) and retry" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "deps: enabling bookworm-backports" >&2
	cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq >&2
bp=() plain=()
for pkg in "${missing[@]}"; do
	case " $BACKPORTED " in
	*" $pkg "*) bp+=("$pkg") ;;
	*) plain+=("$pkg") ;;
	esac
done
# Only promtool is wanted from prometheus: its server must not start here.
# policy-rc.d (exit 101) keeps the package's scripts from starting it.
NO_START=
case " ${missing[*]} " in
*" prometheus "*)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		NO_START=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' > "$NO_START"
		chmod 755 "$NO_START"
		trap 'rm -f "$NO_START"' EXIT
	fi
	;;
esac
if [ ${#plain[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends "${plain[@]}" >&2
fi
if [ ${#bp[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bp[@]}" >&2
fi
# ... nor at the next boot.
case " ${missing[*]} " in
*" prometheus "*)
	systemctl disable prometheus.service >/dev/null 2>&1 || true
	if [ -d /run/systemd/system ]; then
		systemctl stop prometheus.service >/dev/null 2>&1 || true
	fi
	;;
esac
