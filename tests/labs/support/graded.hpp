// Grading a lab from the tests: a submission assembled in a private
// directory from a lab's files (starter/, solution/, a mutant's files on
// top), graded through the grader's library exactly as `ptv grade` does.
#pragma once

#include <string>
#include <vector>

#include "ptv/lab/grader/grade.hpp"
#include "ptv/lab/grader/temp_dir.hpp"

namespace ptv::lab::test {

// A submission directory made of the files of `layers` (directories; a
// later one's file replaces an earlier one's) and their mutant.patch
// (assemble_submission, ptv/lab/grader/mutant.hpp).
class Submission {
  public:
    explicit Submission(const std::vector<std::string>& layers);
    const std::string& path() const { return dir_.path(); }

  private:
    TempDir dir_;
};

struct LabUnderTest {
    std::string id;
    std::string dir;     // labs/ID or the fixture
    std::string recipe;  // build/labs/ID/recipe.json
};

// The fixture lab (tests/labs/fixtures/00-example).
LabUnderTest fixture_lab();

// A GradeRequest for `lab` and `submission`, seeds from seed_base.
GradeRequest request_for(const LabUnderTest& lab, const std::string& submission,
                         uint64_t seed_base = 1000);

// The test named `name`, or the informational entry of a KVM test when
// `name` ends with " (on /dev/kvm)"; throws when there is none.
const TestResult& test_named(const GradeResult& result, const std::string& name);

}  // namespace ptv::lab::test
