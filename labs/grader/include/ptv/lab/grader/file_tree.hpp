// Copying parts of the kit's tree, for `ptv lab start`, `ptv lab handout`
// and the Gradescope zip: what is copied is decided by the caller, which
// names the subdirectories (solution/) that never leave the kit.
#pragma once

#include <set>
#include <string>

namespace ptv::lab {

// Copies directory `from` into `to` (created), recursively, leaving out
// the top-level entries named in `except`. Throws ptv::UsageError on a
// file that cannot be copied.
void copy_tree(const std::string& from, const std::string& to,
               const std::set<std::string>& except = {});

// Copies one file, creating the directory it goes into.
void copy_file_to(const std::string& from, const std::string& to);

// Writes `text` to `path`; `executable` sets mode 0755.
void write_text_file(const std::string& path, const std::string& text, bool executable = false);

// Whether `dir` is missing or an empty directory.
bool missing_or_empty(const std::string& dir);

}  // namespace ptv::lab
