// Where the grader finds the kit: the source tree (labs/NN-name/ with its
// lab.json, tests and headers) and the build tree (build/labs/NN-name/
// recipe.json and the prebuilt harness libraries). Both are baked in when
// the grader is built; PTV_KIT_SOURCE and PTV_KIT_BUILD override them (a
// kit moved after it was built, or the tests' fixture kits).
#pragma once

#include <string>
#include <vector>

namespace ptv::lab {

struct Kit {
    std::string source_dir;
    std::string build_dir;

    // The kit this grader was built in, with the environment's overrides.
    static Kit located();

    std::string labs_dir() const { return source_dir + "/labs"; }
    std::string lab_dir(const std::string& id) const { return labs_dir() + "/" + id; }
    std::string recipe_path(const std::string& id) const {
        return build_dir + "/labs/" + id + "/recipe.json";
    }
    // The ids of the labs in labs/ (directories with a lab.json), sorted.
    std::vector<std::string> lab_ids() const;
    // The directory of lab `id`; throws ptv::UsageError listing the labs
    // when there is none.
    std::string require_lab(const std::string& id) const;
};

}  // namespace ptv::lab
