// One fingerprint of "the grader and its tests", printed with every grade,
// so that a student can check that the grade they got locally and the one
// Gradescope gave came from the same tests: the lab's lab.json, include/,
// harness/, public/ and hidden/, the kit's shared harness (labs/harness),
// and the grader's version string. Files are taken in sorted path order,
// each as its relative path and its bytes, and hashed with ptv's 64-bit
// FNV-1a variant (common/include/ptv/common/memory_hash.hpp).
#pragma once

#include <string>

namespace ptv::lab {

// Bumped whenever the grader's scoring or reports change meaning.
inline constexpr const char* kGraderVersion = "ptv-grade 1";

// "0x" + 16 hex digits.
std::string grader_hash(const std::string& lab_dir, const std::string& shared_harness_dir);

}  // namespace ptv::lab
