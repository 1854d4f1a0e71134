// Running `ptv exercises` and the commands its questions name, as a user
// or an LMS administrator would.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace ptv::test::exercises {

inline const std::vector<std::string> kModules = {"threads", "servers", "vmm", "migration",
                                                  "bindings"};

// `ptv ARGS...`.
Completed run_ptv(const std::vector<std::string>& args);
// `ptv exercises export --module M --count N -s SEED --format F` (stdout).
Completed export_bank(const std::string& module, int count, uint64_t seed,
                      const std::string& format = "json");
// The bank as JSON (the export must succeed).
nlohmann::json bank(const std::string& module, int count, uint64_t seed);
// A question's command ("ptv threads sim ... -c") with --json, run; its output.
nlohmann::json run_command(const std::string& command);
// The number of lines of a program's stderr (a usage error is one).
size_t lines(const std::string& text);

}  // namespace ptv::test::exercises
