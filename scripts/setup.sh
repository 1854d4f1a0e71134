#!/usr/bin/env bash
# Installs the Debian 12 packages ptvlab needs. Idempotent: when everything
# is already there it says so and changes nothing. Not root: prints the
# apt-get line to run instead.
#   scripts/setup.sh          build, test and demo packages
#   scripts/setup.sh --bench  also the peers the benchmarks compare against
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compilers, CMake >= 3.25, CTest
  ninja-build                        # the build tool `make build` drives where it is
  nasm binutils                      # guests: NASM images, ld for the ELF guests
  libzydis-dev                       # x86 disassembly (exit instructions)
  libcli11-dev                       # command-line options
  nlohmann-json3-dev                 # JSON: trace, results, control channel
  libfmt-dev                         # formatting
  doctest-dev                        # tests
  libboost-fiber-dev                 # threads: user-level threads (fibers)
  libboost-context-dev               # threads: bare context switches (bench)
  libunicorn-dev                     # vmm: Unicorn, the CPU model's peer in tests/vmm
                                     #   (differential tests) and bench/vmm-mips
  libhttp-parser-dev                 # servers: the HTTP/1.1 request parser
  libseccomp-dev                     # worker: the system-call allow-list of ptv-vmwp
  qemu-system-x86                    # scripts/kvm-in-qemu.sh: a KVM host QEMU emulates, for
                                     #   machines with no /dev/kvm; bench/kvm-exits' peer
  iproute2                           # migration tests: two network namespaces (ip netns)
  busybox-static                     # containers: the default image (a static busybox and
                                     #   its applets), the lower layer of `ptv container run`
  curl                               # servers: the tests and README talk to ptv's servers
  libsimdjson-dev                    # viz: loading large traces fast
  libimgui-dev                       # viz: Dear ImGui (its GLFW/OpenGL3 backends as sources)
  libglfw3-dev libgl-dev libstb-dev  # viz: window, OpenGL 3, PNG screenshots
  libgl1-mesa-dri                    # viz: Mesa's llvmpipe (software OpenGL under Xvfb)
  xvfb xauth                         # viz: headless screenshots (tests, docs, bench)
  graphviz                           # drawings: --svg and --png render the kit's --dot
                                     #   output through Graphviz's dot
  libxml2-utils                      # tests: xmllint checks rendered SVGs and exported Moodle XML are
                                     #   well-formed XML
  zip unzip                          # labs: the Gradescope autograder zip (ptv lab package),
                                     #   unpacked again by its test
  ccache                             # labs: the tests grade the same submissions and build
                                     #   the kit from each lab's Gradescope zip: a compiler
                                     #   cache lets each build reuse what the last one compiled
  chromium                           # slides: headless, prints each deck to PDF (Marp)
  poppler-utils                      # slides: pdfinfo, the render test counts the PDF pages
  fonts-dejavu-core                  # slides: the decks' fonts (none is downloaded)
)
# slides: Marp runs on node (its npm packages: npm ci in slides/, below). A
# machine with node and npm from elsewhere keeps them.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(nginx-light wrk)        # bench/servers: the peer server and the load generator
  packages+=(crun)                   # bench/container: the OCI runtime ptv's containers are
                                     #   compared with
  packages+=(haproxy)                # bench/switch: the peer of the front-end switch
fi

# A multiboot kernel we did not write, for the tests that boot "any
# multiboot image": Debian's grub-invaders (a game in a 7 KB ELF32 kernel).
# Only unpacked into a cache, not installed: installing it would add an entry
# to the machine's GRUB menu.
THIRD_PARTY_DIR=${PTV_THIRD_PARTY_DIR:-/var/cache/ptvlab}
fetch_third_party() {
  local pkg=$1 file=$2
  [[ -f "$THIRD_PARTY_DIR/$pkg/$(basename "$file")" ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: $THIRD_PARTY_DIR/$pkg/$(basename "$file") missing; run scripts/setup.sh as root to fetch $pkg" >&2
    return 0
  fi
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null) || { apt-get update -qq && (cd "$tmp" && apt-get download -qq "$pkg"); }
  mkdir -p "$THIRD_PARTY_DIR/$pkg"
  dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/x"
  cp "$tmp/x/$file" "$THIRD_PARTY_DIR/$pkg/"
  rm -rf "$tmp"
  echo "setup: unpacked $pkg into $THIRD_PARTY_DIR/$pkg"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# slides/node_modules: Marp at the version package-lock.json pins, installed
# again only when the lock file changed (its hash is kept beside the modules).
npm_ci_slides() {
  local dir lock stamp
  dir=$(cd "$(dirname "$0")/.." && pwd)/slides
  lock=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  stamp=$dir/node_modules/.ptv-package-lock.sha256
  [[ -x $dir/node_modules/.bin/marp && -f $stamp && $(cat "$stamp") == "$lock" ]] && return 0
  command -v npm >/dev/null || { echo "setup: npm missing; slides/ needs it (run scripts/setup.sh as root)" >&2; return 0; }
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock" >"$stamp"
  echo "setup: installed Marp in slides/node_modules (npm ci)"
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  fetch_third_party grub-invaders boot/invaders.exec
  npm_ci_slides
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
fetch_third_party grub-invaders boot/invaders.exec
npm_ci_slides
echo "setup: done"
