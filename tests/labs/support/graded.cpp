#include "graded.hpp"

#include <filesystem>
#include <stdexcept>

#include "ptv/lab/grader/file_tree.hpp"
#include "ptv/lab/grader/grader_hash.hpp"
#include "ptv/lab/grader/lab_spec.hpp"
#include "ptv/lab/grader/mutant.hpp"
#include "ptv/lab/grader/recipe.hpp"

namespace fs = std::filesystem;

namespace ptv::lab::test {

Submission::Submission(const std::vector<std::string>& layers) : dir_("ptv-lab-test") {
    assemble_submission(layers, dir_.path());
}

LabUnderTest fixture_lab() {
    return {"00-example", PTV_LAB_FIXTURE_DIR, PTV_LAB_FIXTURE_RECIPE};
}

GradeRequest request_for(const LabUnderTest& lab, const std::string& submission,
                         uint64_t seed_base) {
    GradeRequest req;
    req.spec = load_lab_spec(lab.dir);
    req.recipe = load_recipe(lab.recipe);
    req.lab_dir = lab.dir;
    req.submission_dir = submission;
    req.grader_hash = grader_hash(lab.dir, std::string(PTV_KIT_SOURCE_FOR_TESTS) + "/labs/harness");
    req.seed_base = seed_base;
    req.jobs = 2;
    req.kvm_available = kvm_device_available();
    return req;
}

const TestResult& test_named(const GradeResult& result, const std::string& name) {
    for (const auto& t : result.tests)
        if (t.name == name) return t;
    throw std::runtime_error("no test named '" + name + "' in the result");
}

}  // namespace ptv::lab::test
