// A VM's snapshots on disk, as the service handles them without a worker:
// the list (each checked as a restore would) and the copy of a stopped VM's
// last snapshot under a new name.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ptv::vmms {

// Rows of `ptv vm snapshots` for the snapshots in `dir` (temporary
// directories left out), by name; `last` is marked.
nlohmann::json list_snapshots(const std::string& dir, const std::string& last);

// Copies snapshot `from` to `to` by hard links (the files are never written
// in place), whole or not at all: "" when done, else why not.
std::string copy_snapshot(const std::string& from, const std::string& to);

}  // namespace ptv::vmms
