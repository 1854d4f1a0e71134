// How to build a submission against the built kit: build/labs/NN-name/
// recipe.json, written by the lab's ptv_lab() (labs/CMakeLists.txt). A
// variant's program is
//   cxx <compile...> <variants[V].flags...> <student files> <variants[V].link...>
// so only the student's files are compiled; the harness is prebuilt.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ptv::lab {

struct Recipe {
    struct Variant {
        std::vector<std::string> flags;
        std::vector<std::string> link;
    };
    std::string lab;
    std::string source_dir;
    std::string cxx;
    std::vector<std::string> compile;
    std::map<std::string, Variant> variants;
};

// Throws ptv::UsageError when the recipe is missing (the lab is not built)
// or malformed.
Recipe load_recipe(const std::string& path);

}  // namespace ptv::lab
