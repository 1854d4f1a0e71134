// What `ptv lab` does with a lab besides grading it: start a student's
// working directory, export the handouts, and package the Gradescope
// autograder. None of it ever copies a lab's solution/.
#pragma once

#include <string>
#include <vector>

#include "ptv/lab/grader/kit.hpp"

namespace ptv::lab {

// `ptv lab start ID DIR`: the handout (README.md), include/, the starter
// files at DIR's root, public/ in DIR/public, and a Makefile whose `grade`
// runs `PTV grade ID --submission .` (ONLY=case: --only case). Throws
// ptv::UsageError when DIR is not empty.
void start_lab(const std::string& lab_dir, const std::string& id, const std::string& dir,
               const std::string& ptv_path);

// `ptv lab handout --out DIR [ID...]`: each lab as DIR/ID without
// solution/, with the kit's shared harness and the grader (DIR/harness,
// DIR/grader) and labs/README.md.
void export_handout(const Kit& kit, const std::vector<std::string>& ids, const std::string& out);

// `ptv lab package ID --gradescope --out FILE.zip`: setup.sh and
// run_autograder at the zip's root, the kit's sources the lab needs under
// kit/ (never a solution/, never tests/). Needs the `zip` program.
void package_gradescope(const Kit& kit, const std::string& lab_dir, const std::string& id,
                        const std::string& out_zip);

// The two scripts at the zip's root (exposed for the tests).
std::string gradescope_setup_script(const std::string& id);
// run_autograder finds the submission's files one folder down when they
// are not at its root (looking for `student_file`, the lab's first).
std::string gradescope_run_script(const std::string& id, const std::string& student_file);

}  // namespace ptv::lab
