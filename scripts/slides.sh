#!/usr/bin/env bash
# `make slides`: the lecture decks of slides/ to build/slides/NAME.html (works
# offline, no browser needed to open it) and build/slides/NAME.pdf (headless
# Chromium). Every figure is drawn by the kit from a real run, here, at build
# time: Graphviz from `--dot`, visualizer screenshots of real traces (under
# xvfb-run), tables from `--json` (slides/tools/tables.mjs). Nothing is
# downloaded: Marp and its themes come from slides/node_modules (npm ci in
# scripts/setup.sh), fonts from the machine.
#   scripts/slides.sh [--no-build] [--out DIR] [--html-only]
#     --no-build   use BUILD's ptv as it is (the tests); default: build it first
#     --out DIR    write there instead of $BUILD/slides
#     --html-only  skip the PDFs (no Chromium needed)
# BUILD (default: build) is the build tree whose bin/ptv draws the figures.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
build_first=1 html_only=0 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) build_first=0 ;;
    --html-only) html_only=1 ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    *) echo "slides: unknown option '$1'; see the top of scripts/slides.sh" >&2; exit 2 ;;
  esac
  shift
done
[[ $BUILD = /* ]] || BUILD=$root/$BUILD
out=${out:-$BUILD/slides}
mkdir -p "$out"
out=$(cd "$out" && pwd)

fail() { echo "slides: $*" >&2; exit 2; }
need() { command -v "$1" >/dev/null || fail "$1 is missing ($2); run scripts/setup.sh"; }
need node "Marp runs on it"
need dot "Graphviz draws the figures"
need gvpr "Graphviz picks the hot part of a drawing"
need xvfb-run "the visualizer's screenshots run headless"
marp=$root/slides/node_modules/.bin/marp
[[ -x $marp ]] || fail "Marp is not installed in slides/node_modules; run scripts/setup.sh (it runs npm ci there)"
if [[ $html_only -eq 0 ]]; then
  chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
  [[ -n $chromium ]] || fail "chromium is missing (it prints the PDFs); run scripts/setup.sh, or pass --html-only"
fi

if [[ $build_first -eq 1 ]]; then
  [[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$BUILD" -j"$(nproc)" --target ptv  # with ptv-vmm, ptv-viz and the guests
fi
ptv=$BUILD/bin/ptv
[[ -x $ptv ]] || fail "$ptv is not built; run 'make build' (or drop --no-build)"
[[ -x $BUILD/bin/ptv-viz ]] || fail "$BUILD/bin/ptv-viz is not built (the visualizer's packages: scripts/setup.sh)"

SECONDS=0
# Runs, traces and Chromium's profile live in a scratch directory removed on
# any exit, so a render leaves nothing behind but its output.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ptv-slides.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fig=$out/figures
rm -rf "$fig"
mkdir -p "$fig"
cd "$scratch"
tables() { node "$root/slides/tools/tables.mjs" "$@"; }
say() { echo "slides: $*"; }

# ---- 01 processes and threads (ch. 3.1) ---------------------------------
say "figures: threads"
workload="c5 b10 c3, c4, c2 b2 c2"
for model in many-to-one one-to-one many-to-many activations; do
  lwps=()
  [[ $model = many-to-many ]] && lwps=(--lwps 2)
  "$ptv" threads sim --model "$model" "${lwps[@]}" --cpus 1 --workload "$workload" -c --json \
    --trace "threads-$model.json" --svg "$fig/threads-$model.svg" >"threads-$model.sim.json"
done
tables threads-models threads-{many-to-one,one-to-one,many-to-many,activations}.sim.json \
  >"$fig/threads-models.md"
# Fig. 3-1 with this machine's numbers (fewer iterations than the default:
# a figure, not a benchmark).
"$ptv" threads measure --iterations 100 --trials 3 --json >threads-measure.json
tables threads-measure threads-measure.json >"$fig/threads-measure.md"

# ---- 02 virtualization (ch. 3.2) ----------------------------------------
say "figures: virtualization"
"$ptv" vmm compare popf --json >vmm-popf.json
tables vmm-compare vmm-popf.json >"$fig/vmm-compare-popf.md"
"$ptv" vmm run hello -t binary-translation --dot tc-hello.dot >/dev/null
# Of hello's translation cache, the units run more than once (each label ends
# with its count, "xN"): the loop that prints a byte, laid out as the cycle it is.
gvpr -c 'N { int n; string t = substr($.label, rindex($.label, "x") + 1);
             sscanf(t, "%d", &n); if (n < 2) delete($G, $); }' tc-hello.dot |
  circo -Tsvg -Nfontsize=22 -Efontsize=20 -o "$fig/translation-cache-hello.svg"
"$ptv" vmm run jumptable -t binary-translation --trace bt-jumptable.json >/dev/null

# ---- 03 inside a worker process ------------------------------------------
# The VMX model drives the worker's own dispatcher and devices (vnd/, devices/),
# so its trace has the shape of a KVM run's; it needs no /dev/kvm.
say "figures: worker process"
"$ptv" vmm run pv-hello -t vmx --trace vmx-pv-hello.json --json >vmx-pv-hello.run.json
tables vmm-exits vmx-pv-hello.run.json >"$fig/vmx-pv-hello-exits.md"
"$ptv" vmm run pv-hello -t paravirt --json >paravirt-pv-hello.run.json
tables vmm-exits paravirt-pv-hello.run.json >"$fig/paravirt-pv-hello-exits.md"

# ---- 04 clients and servers (ch. 3.3) -----------------------------------
say "figures: servers"
"$ptv" servers sim -c --json >servers-sim.json
tables servers-sim servers-sim.json >"$fig/servers-sim.md"
"$ptv" servers sim --arch dispatcher-worker --trace servers-dw.json >/dev/null
# Fig. 3-3 drawn from the model's own run.
"$ptv" servers sim --arch dispatcher-worker --svg "$fig/fig-3-3.svg" >/dev/null
echo '![h:300](figures/fig-3-3.svg)' >"$fig/fig-3-3.md"

# ---- 05 code migration (ch. 3.5) ----------------------------------------
say "figures: migration"
"$ptv" migrate bindings --table --json --svg "$fig/fig-3-19.svg" >bindings.json
tables bindings-table bindings.json >"$fig/bindings-table.md"
"$ptv" migrate sim --memory 262144 --bandwidth 1Gbit --dirty wws:2048:40000 -c --json >precopy-wws.json
tables migrate-rounds precopy-wws.json >"$fig/precopy-rounds.md"
# The working set at the end of memory, so post-copy's page-order push meets
# it last and the guest takes remote faults.
for policy in precopy stopcopy postcopy hybrid; do
  "$ptv" migrate sim --memory 4096 --bandwidth 4096 --policy "$policy" \
    --dirty wws:256:2000:3000 -c --json >"migrate-$policy.json"
done
tables migrate-policies migrate-{precopy,stopcopy,postcopy,hybrid}.json >"$fig/migrate-policies.md"
"$ptv" migrate sim --memory 4096 --bandwidth 4096 --policy hybrid --hybrid-rounds 3 \
  --dirty uniform:2000 --trace migrate-hybrid.json >/dev/null

# ---- the visualizer, headless: one X server for every screenshot ---------
say "figures: visualizer screenshots"
cat >screenshots.sh <<EOF
set -e
shot() { "$ptv" viz "\$1" --screenshot "$fig/\$2.png" --view "\$3" --size "\${4:-1280x600}"; }
shot threads-many-to-one.json viz-threads-many-to-one threads 1280x340
shot threads-activations.json viz-threads-activations threads 1280x340
shot bt-jumptable.json viz-bt-jumptable bt
shot vmx-pv-hello.json viz-notifications-pv-hello notifications
shot vmx-pv-hello.json viz-exits-pv-hello exits
shot servers-dw.json viz-servers-dispatcher-worker servers
shot migrate-hybrid.json viz-migration-hybrid migration
EOF
xvfb-run -a -s "-screen 0 1600x900x24" bash screenshots.sh

# ---- the decks ------------------------------------------------------------
# A deck's `<!-- include: figures/NAME.md -->` line becomes that table; the
# expanded deck sits beside figures/ so its image paths resolve.
decks=()
for src in "$root"/slides/[0-9][0-9]-*.md; do
  name=$(basename "$src")
  awk -v dir="$out" '
    /^<!-- include: [^ ]+ -->$/ {
      f = dir "/" $3
      if ((getline line < f) <= 0) { print "slides: " FILENAME ":" FNR ": no " $3 > "/dev/stderr"; exit 3 }
      do print line; while ((getline line < f) > 0)
      close(f); next
    }
    { print }' "$src" >"$out/$name"
  decks+=("$out/$name")
done
[[ ${#decks[@]} -gt 0 ]] || fail "no decks in slides/"

say "HTML: ${#decks[@]} decks"
"$marp" --no-stdin --config-file "$root/slides/marp.config.mjs" "${decks[@]}" >/dev/null
if [[ $html_only -eq 0 ]]; then
  say "PDF: ${#decks[@]} decks (headless Chromium)"
  # Marp starts Chromium through this wrapper (CHROME_PATH), which adds the
  # flags for a machine with no network and no display; its fresh profile
  # (--user-data-dir) is made under TMPDIR, the scratch directory.
  CHROME_PATH=$root/slides/tools/chromium-offline CHROMIUM="$chromium" TMPDIR=$scratch \
    "$marp" --no-stdin --config-file "$root/slides/marp.config.mjs" --pdf --allow-local-files \
    "${decks[@]}" >/dev/null
fi
rm -f "${decks[@]}"
say "done in ${SECONDS} s: $(cd "$out" && ls *.html $([[ $html_only -eq 0 ]] && echo '*.pdf') | tr '\n' ' ')(in $out)"
