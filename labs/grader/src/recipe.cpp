#include "ptv/lab/grader/recipe.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ptv/common/error.hpp"

namespace ptv::lab {

Recipe load_recipe(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw UsageError(fmt::format(
            "no build recipe {}; build the lab first (cmake --build BUILD --target lab_ID)", path));
    try {
        auto doc = nlohmann::json::parse(in);
        Recipe r;
        r.lab = doc.at("lab").get<std::string>();
        r.source_dir = doc.at("source_dir").get<std::string>();
        r.cxx = doc.at("cxx").get<std::string>();
        r.compile = doc.at("compile").get<std::vector<std::string>>();
        for (const auto& [name, v] : doc.at("variants").items())
            r.variants[name] = Recipe::Variant{v.at("flags").get<std::vector<std::string>>(),
                                               v.at("link").get<std::vector<std::string>>()};
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(fmt::format("{} is malformed ({}); rebuild the lab", path, e.what()));
    }
}

}  // namespace ptv::lab
