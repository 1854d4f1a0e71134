#!/usr/bin/env bash
# ctest: `make slides` into a scratch directory (scripts/slides.sh --no-build
# --out DIR, with this build's ptv), then every deck checked:
#  - NAME.html is there and references no remote URL (it must open offline);
#  - NAME.pdf starts with %PDF and has one page per slide of the deck;
#  - the HTML's slides are the deck's slides;
#  - every figure the deck references was made, and is an SVG or a PNG.
#   render.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
root=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/ptv-slides-test.XXXXXX")
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; failed=1; }
failed=0

start=$SECONDS
BUILD=$build "$root/scripts/slides.sh" --no-build --out "$out" || { echo "FAIL: scripts/slides.sh"; exit 1; }
echo "render: $((SECONDS - start)) s"

decks=("$root"/slides/[0-9][0-9]-*.md)
[[ ${#decks[@]} -eq 5 ]] || fail "expected five decks in slides/, found ${#decks[@]}"
for deck in "${decks[@]}"; do
  name=$(basename "$deck" .md)
  html=$out/$name.html pdf=$out/$name.pdf
  slides=$(awk -f "$here/count_slides.awk" "$deck")
  [[ -s $html ]] || { fail "$name.html was not made"; continue; }
  [[ -s $pdf ]] || { fail "$name.pdf was not made"; continue; }
  [[ $(head -c 4 "$pdf") == "%PDF" ]] || fail "$name.pdf does not start with %PDF"
  pages=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
  sections=$(grep -o '<section id="[0-9]*"' "$html" | wc -l)
  echo "$name: $slides slides in the deck, $sections in the HTML, ${pages:-?} PDF pages"
  [[ $slides -ge 10 && $slides -le 16 ]] || fail "$name has $slides slides; a deck has 10 to 16"
  [[ $pages == "$slides" ]] || fail "$name.pdf has ${pages:-no} pages for $slides slides"
  [[ $sections == "$slides" ]] || fail "$name.html has $sections slides for $slides"
  # Remote URLs: none but XML namespace names (not fetched) and the license
  # comment Marp's bespoke script carries (/*! ... */, not fetched).
  remote=$(node -e '
    const s = require("fs").readFileSync(process.argv[1], "utf8")
      .replace(/\/\*!+[\s\S]*?\*\//g, "")
      .replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, "");
    const m = s.match(/https?:\/\/[^\s"'"'"'()<>]+/g) || [];
    console.log(m.slice(0, 5).join(" "));' "$html")
  [[ -z $remote ]] || fail "$name.html links to the network: $remote"
  # Every figure the deck shows was drawn here.
  figures=$(grep -o 'figures/[A-Za-z0-9._-]*\.\(svg\|png\)' "$deck" | sort -u)
  [[ -n $figures ]] || fail "$name shows no figure made by the kit"
  for f in $figures; do
    case $f in
      *.svg) grep -q '<svg' "$out/$f" 2>/dev/null || fail "$name: $f is missing or not an SVG" ;;
      *.png) [[ $(head -c 8 "$out/$f" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
               fail "$name: $f is missing or not a PNG" ;;
    esac
    grep -q "src=\"$f\"" "$html" || fail "$name.html does not show $f"
  done
  for t in $(grep -o '<!-- include: figures/[A-Za-z0-9._-]*\.md -->' "$deck" | awk '{ print $3 }'); do
    [[ -s $out/$t ]] || fail "$name: the table $t was not made"
  done
done
[[ $failed -eq 0 ]] || exit 1
echo "render: five decks to HTML and PDF, every page and figure accounted for"
