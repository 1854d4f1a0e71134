#include "ptv/lab/grader/kit.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "ptv/common/error.hpp"

#ifndef PTV_KIT_SOURCE_DIR
#error "PTV_KIT_SOURCE_DIR must name the kit's source tree (labs/grader/CMakeLists.txt)"
#endif
#ifndef PTV_KIT_BUILD_DIR
#error "PTV_KIT_BUILD_DIR must name the kit's build tree (labs/grader/CMakeLists.txt)"
#endif

namespace fs = std::filesystem;

namespace ptv::lab {

namespace {
std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
}  // namespace

Kit Kit::located() {
    return Kit{env_or("PTV_KIT_SOURCE", PTV_KIT_SOURCE_DIR),
               env_or("PTV_KIT_BUILD", PTV_KIT_BUILD_DIR)};
}

std::vector<std::string> Kit::lab_ids() const {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(labs_dir(), ec))
        if (e.is_directory() && fs::exists(e.path() / "lab.json"))
            ids.push_back(e.path().filename().string());
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::string Kit::require_lab(const std::string& id) const {
    auto ids = lab_ids();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return lab_dir(id);
    throw UsageError(fmt::format("no lab '{}'; labs: {} (see 'ptv lab list')", id,
                                 ids.empty() ? std::string("none in " + labs_dir())
                                             : fmt::format("{}", fmt::join(ids, ", "))));
}

}  // namespace ptv::lab
