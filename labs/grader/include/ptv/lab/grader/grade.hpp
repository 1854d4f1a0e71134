// Grading one submission of one lab: check the student's files are there,
// build the variants the selected tests need, run every test (hidden ones
// with seeds drawn now), and collect one GradeResult.
#pragma once

#include <cstdint>
#include <string>

#include "ptv/lab/grader/lab_spec.hpp"
#include "ptv/lab/grader/recipe.hpp"
#include "ptv/lab/grader/result.hpp"

namespace ptv::lab {

struct GradeRequest {
    LabSpec spec;
    Recipe recipe;
    std::string lab_dir;
    std::string submission_dir;
    std::string grader_hash;
    bool reveal = false;
    std::string only;        // a case (or test) name: grade just that
    int jobs = 2;            // tests run at a time
    uint64_t seed_base = 0;  // hidden test k-th seed: seed_base + k
    bool kvm_available = false;
    // Copy the built programs into the submission directory (lab-tests,
    // lab-tests-asan, lab-tests-tsan), which the reproduce commands name.
    bool install_programs = true;
};

// Whether /dev/kvm opens read-write here.
bool kvm_device_available();

// A seed base from std::random_device (hidden tests' inputs differ per run).
uint64_t random_seed_base();

// The program name a variant is installed under in the submission.
std::string installed_program_name(const std::string& variant);

// Throws ptv::UsageError for a missing student file or an --only that
// names no test; everything the submission does is a result.
GradeResult grade(const GradeRequest& request);

}  // namespace ptv::lab
