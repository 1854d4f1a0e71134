// The Gradescope autograder zip. Gradescope unpacks it into
// /autograder/source, runs setup.sh once when it builds the image (Ubuntu
// 22.04, as root), and for every submission runs run_autograder, which
// must leave /autograder/results/results.json.
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/file_tree.hpp"
#include "ptv/lab/grader/lab_spec.hpp"
#include "ptv/lab/grader/lab_tools.hpp"
#include "ptv/lab/grader/process.hpp"
#include "ptv/lab/grader/temp_dir.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

namespace {

// The kit's sources that configure with PTV_GRADER_ONLY (CMakeLists.txt):
// what a lab's harness can link, the harness and the grader.
const char* const kKitDirs[] = {"common", "guests", "real-kvm-backend", "sim"};

}  // namespace

std::string gradescope_setup_script(const std::string& id) {
    return fmt::format(R"SH(#!/usr/bin/env bash
# The autograder's set-up for lab {0}, made by `ptv lab package {0} --gradescope`.
# Gradescope runs it once, as root, when it builds the image (Ubuntu 22.04):
# it installs the packages the kit builds with, then configures the kit
# sources shipped beside it (kit/) with -DPTV_GRADER_ONLY=ON -- the
# libraries, the labs and ptv-grade; no ptv, visualizer, benchmarks or
# tests -- and builds only ptv-grade and the lab's harness, lab_{0}.
#   PTV_SKIP_APT=1        leave the packages alone (a machine that has them)
#   PTV_CMAKE_ARGS="..."  more arguments for cmake's configure step
set -euo pipefail
here=$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)

# Ubuntu 22.04 names; labs/README.md says which of them are unverified there.
packages=(
  build-essential cmake ninja-build pkg-config   # compiler, CMake, Ninja
  nasm binutils linux-libc-dev                   # guests (NASM images, UAPI headers)
  libzydis-dev                                   # x86 disassembly (the CPU model's exits)
  libcli11-dev nlohmann-json3-dev libfmt-dev     # ptv-grade's options, JSON, formatting
  libboost-fiber-dev libboost-context-dev        # user-level threads
  libseccomp-dev libhttp-parser-dev              # the worker's allow-list; sim/servers
  python3-pip                                    # CMake >= 3.25 where apt's is older
)

if [[ -z "${{PTV_SKIP_APT:-}}" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${{packages[@]}}"
  # The kit needs CMake 3.25; Ubuntu 22.04's is 3.22.
  if ! cmake --version | awk 'NR == 1 {{ split($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 25)) }}'; then
    pip3 install -q 'cmake>=3.25'
    hash -r
  fi
fi

cmake -S "$here/kit" -B "$here/kit/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPTV_GRADER_ONLY=ON ${{PTV_CMAKE_ARGS:-}}
cmake --build "$here/kit/build" -j"$(nproc)" --target ptv-grade lab_{0}
)SH",
                       id);
}

std::string gradescope_run_script(const std::string& id, const std::string& student_file) {
    return fmt::format(R"SH(#!/usr/bin/env bash
# Grades one submission of lab {0} (Gradescope runs it as
# /autograder/run_autograder). AUTOGRADER_ROOT moves /autograder (tests).
set -uo pipefail
root=${{AUTOGRADER_ROOT:-/autograder}}
mkdir -p "$root/results"
results="$root/results/results.json"
rm -f "$results"
# A submission uploaded as a folder has the student's files one level down.
submission="$root/submission"
if [[ ! -f "$submission/{1}" ]]; then
  found=$(find "$submission" -name '{1}' -type f 2>/dev/null | head -n 1)
  [[ -n "$found" ]] && submission=$(dirname "$found")
fi
"$root/source/kit/build/bin/ptv-grade" {0} --submission "$submission" \
  --format gradescope --out "$results" 2> "$root/results/grader-errors.txt"
status=$?
if [[ ! -s "$results" ]]; then
  # Not graded (a file missing from the submission): say why, for 0 points.
  why=$(head -n 1 "$root/results/grader-errors.txt" | sed 's/\\/\\\\/g; s/"/\\"/g')
  printf '{{"score": 0, "output": "Not graded: %s"}}\n' "$why" > "$results"
fi
rm -f "$root/results/grader-errors.txt"
exit $status
)SH",
                       id, student_file);
}

void package_gradescope(const Kit& kit, const std::string& lab_dir, const std::string& id,
                        const std::string& out_zip) {
    std::string zip = find_in_path("zip");
    if (zip.empty())
        throw UsageError("the zip program is missing; install the zip package (scripts/setup.sh)");
    std::string out = fs::absolute(out_zip).string();
    TempDir stage("ptv-package");
    const std::string kit_out = stage.path() + "/kit";
    copy_file_to(kit.source_dir + "/CMakeLists.txt", kit_out + "/CMakeLists.txt");
    for (const char* dir : kKitDirs) copy_tree(kit.source_dir + "/" + dir, kit_out + "/" + dir);
    copy_file_to(kit.labs_dir() + "/CMakeLists.txt", kit_out + "/labs/CMakeLists.txt");
    copy_file_to(kit.labs_dir() + "/README.md", kit_out + "/labs/README.md");
    copy_tree(kit.labs_dir() + "/harness", kit_out + "/labs/harness");
    copy_tree(kit.labs_dir() + "/grader", kit_out + "/labs/grader");
    copy_tree(lab_dir, kit_out + "/labs/" + id, {"solution"});
    write_text_file(stage.path() + "/setup.sh", gradescope_setup_script(id), true);
    LabSpec lab = load_lab_spec(lab_dir);
    write_text_file(stage.path() + "/run_autograder",
                    gradescope_run_script(id, lab.student_files.front()), true);

    std::error_code ec;
    fs::remove(out, ec);  // zip adds to an existing archive
    ProcessSpec spec;
    spec.argv = {zip, "-q", "-r", "-X", out, "."};
    spec.cwd = stage.path();
    spec.time_limit_s = 120;
    auto r = run_process(spec);
    if (r.exit_code != 0)
        throw UsageError(fmt::format("zip could not write {}: {}", out, r.err.substr(0, 200)));
}

}  // namespace ptv::lab
