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

// The compiler's command lines for one variant (recipe.hpp): each student
// file compiled on its own, then linked with the variant's harness. Together
// they are `cxx <compile> <flags> <files> <link> -o lab-tests`, in steps a
// compiler cache can reuse.
std::vector<std::string> object_command(const Recipe& recipe, const std::string& variant,
                                        const std::string& source, const std::string& object);
std::vector<std::string> link_command(const Recipe& recipe, const std::string& variant,
                                      const std::vector<std::string>& objects,
                                      const std::string& program);

// The first line of a compiler's output that reports an error.
std::string first_error_line(const std::string& compiler_output);

// Builds `variants` from the student's `files` (names in submission_dir)
// in work_dir, at most `jobs` compilers at a time. The compiler runs in
// submission_dir on each file's plain name, so the command is the same for
// every submission and PTV_GRADE_COMPILER_LAUNCHER (e.g. ccache) can reuse
// the objects of a file seen before.
std::map<std::string, BuiltVariant> build_variants(const Recipe& recipe,
                                                   const std::vector<std::string>& variants,
                                                   const std::string& submission_dir,
                                                   const std::vector<std::string>& files,
                                                   const std::string& work_dir, int jobs);

}  // namespace ptv::lab
