#!/usr/bin/env bash
# Installs what netvigil needs to build, run and test on Debian 12. Idempotent:
# it only calls apt-get when a package is missing.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libpcap-dev libzmq3-dev libprotobuf-c-dev
            protobuf-c-compiler libgtk-4-dev iputils-ping libcap-ng-dev libseccomp-dev libinih-dev
            libzstd-dev zlib1g-dev libmicrohttpd-dev libsystemd-dev libcurl4-openssl-dev)
test_pkgs=(libcmocka-dev tshark tcpdump iproute2 xvfb xauth dbus dbus-x11 procps python3 imagemagick bc clang-format python3-zmq nftables strace nmap hping3 python3-scapy
           python3-zstandard python3-pandas prometheus clickhouse-server clickhouse-client
           lintian desktop-file-utils file man-db systemd xdotool)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then
    want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer once, non-interactively.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
