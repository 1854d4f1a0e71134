#!/usr/bin/env bash
# Installs the Debian 12 packages ptvlab needs. Idempotent: when everything
# is already there it says so and changes nothing. Not root: prints the
# apt-get line to run instead.
#   scripts/setup.sh          build, test and demo packages
#   scripts/setup.sh --bench  also the peers the benchmarks compare against
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compilers, CMake >= 3.25, CTest
  nasm binutils                      # guests: NASM images, ld for the ELF guests
  libzydis-dev                       # x86 disassembly (exit instructions)
  libcli11-dev                       # command-line options
  nlohmann-json3-dev                 # JSON: trace, results, control channel
  libfmt-dev                         # formatting
  doctest-dev                        # tests
  libboost-fiber-dev                 # threads: user-level threads (fibers)
  libboost-context-dev               # threads: bare context switches (bench)
  libhttp-parser-dev                 # servers: the HTTP/1.1 request parser
  curl                               # servers: the tests and README talk to ptv's servers
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(qemu-system-x86)        # bench/kvm-exits compares against QEMU
  packages+=(nginx-light wrk)        # bench/servers: the peer server and the load generator
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
