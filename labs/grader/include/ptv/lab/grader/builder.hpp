// The submission builder: compiles the student's files against the built
// kit, one program `lab-tests` per variant (normal, asan, tsan), each in a
// directory of its own. A compile error is a result, not an error of the
// grader: that variant's tests score 0 and show the compiler's first error.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ptv/lab/grader/recipe.hpp"

namespace ptv::lab {

struct BuiltVariant {
    bool ok = false;
    std::string program;      // work_dir/VARIANT/lab-tests
    std::string first_error;  // the compiler's first error line
    std::string log;          // all the compiler printed (capped)
};

// The compiler's command line for one variant (recipe.hpp).
std::vector<std::string> compile_command(const Recipe& recipe, const std::string& variant,
                                         const std::vector<std::string>& sources,
                                         const std::string& output);

// The first line of a compiler's output that reports an error.
std::string first_error_line(const std::string& compiler_output);

// Builds `variants` from the student's `sources` (absolute paths) in
// work_dir, at most `jobs` compilers at a time.
std::map<std::string, BuiltVariant> build_variants(const Recipe& recipe,
                                                   const std::vector<std::string>& variants,
                                                   const std::vector<std::string>& sources,
                                                   const std::string& work_dir, int jobs);

}  // namespace ptv::lab
