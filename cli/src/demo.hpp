// `ptv demo LECTURE`: a deck's demos, run in order as an instructor would
// type them in class (slides/README.md, "Demos").
#pragma once

#include "commands.hpp"

namespace ptv::cli {

// `ptv demo ...` at the top level.
Commands demo_commands(CLI::App& app);

}  // namespace ptv::cli
