// A mutant: a realistic wrong solution of a lab, kept in
// tests/labs/ID/mutants/NAME/ as mutant.json (the bug, and the cases it
// must lose) and mutant.patch, a unified diff against the lab's solution/
// (`diff -u`, paths a/FILE and b/FILE), so that the bug is exactly the
// lines the patch changes. A mutant may instead hold whole files, which
// replace the solution's.
#pragma once

#include <string>
#include <vector>

namespace ptv::lab {

// Fills `dir` (which exists) with the regular files of `layers` in order, a
// later layer's file replacing an earlier one's, leaving out mutant.json
// and mutant.patch; then applies each layer's mutant.patch to `dir`.
// Throws std::runtime_error, with patch's message, when a patch does not
// apply.
void assemble_submission(const std::vector<std::string>& layers, const std::string& dir);

}  // namespace ptv::lab
