// `ptv lab list|start|handout|package` and `ptv grade`: the labs
// (labs/README.md) from the command line. The grading itself is the
// grader library's (labs/grader), shared with ptv-grade.
#pragma once

#include "commands.hpp"

namespace ptv::cli {

// `ptv lab ...` under the `lab` subcommand.
Commands lab_commands(CLI::App& lab);
// `ptv grade ID ...` at the top level.
Commands grade_commands(CLI::App& app);

}  // namespace ptv::cli
