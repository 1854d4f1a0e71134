// The lecture decks as `ptv demo` reads them: where slides/ is, which decks
// it holds, and the demos a deck ends with (slides/README.md, "Demos").
#pragma once

#include <istream>
#include <string>
#include <vector>

namespace ptv::cli {

// One command an instructor types in class, as the deck shows it.
struct DemoStep {
    std::string command;     // "ptv threads sim ...", exactly as on the slide
    bool needs_kvm = false;  // from a ```sh demo kvm block: runs real guests
    int line = 0;            // where the deck has it (1-based)
};

// slides/: $PTV_SLIDES_DIR, else ../../slides from the ptv binary (the
// source tree beside build/bin). Throws ptv::UsageError when neither exists.
std::string slides_dir();

// The decks in `dir`, by name ("01-processes-and-threads"), in order.
std::vector<std::string> lecture_names(const std::string& dir);

// A lecture by number ("1", "01") or name ("virtualization",
// "02-virtualization"); throws ptv::UsageError listing the lectures.
std::string resolve_lecture(const std::string& dir, const std::string& lecture);

// The demo blocks of a deck: fenced code blocks whose info string holds the
// word `demo` (```sh demo), and `kvm` too for real guests. Each non-empty
// line that is not a `#` comment is one `ptv ...` command. `where` names the
// deck in errors (ptv::UsageError, with its line).
std::vector<DemoStep> parse_demos(std::istream& deck, const std::string& where);

}  // namespace ptv::cli
