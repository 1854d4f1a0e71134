#include "paths.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "ptv/common/error.hpp"

namespace fs = std::filesystem;

namespace ptv::cli {

std::string executable_dir() {
    return fs::read_symlink("/proc/self/exe").parent_path().string();
}

std::string worker_path() {
    if (const char* env = std::getenv("PTV_VMWP"); env && *env) return env;
    return (fs::path(executable_dir()) / "ptv-vmwp").string();
}

std::string viz_path() {
#ifdef PTV_VIZ_MISSING
    if (*PTV_VIZ_MISSING)
        throw UsageError(fmt::format(
            "the visualizer is not built: install {} (scripts/setup.sh does) and run 'make build'",
            PTV_VIZ_MISSING));
#endif
    return (fs::path(executable_dir()) / "ptv-viz").string();
}

std::string guest_dir() {
    if (const char* env = std::getenv("PTV_GUEST_DIR"); env && *env) return env;
    return (fs::path(executable_dir()).parent_path() / "guests").string();
}

namespace {

// Guests we did not write, by the name a user types: scripts/setup.sh
// unpacks them from their Debian packages into a cache, without installing
// them (grub-invaders would add an entry to the machine's boot menu).
struct ThirdPartyGuest {
    std::string_view name, package, file;
};
constexpr ThirdPartyGuest kThirdParty[] = {
    {"invaders", "grub-invaders", "invaders.exec"},
};

fs::path third_party_dir() {
    const char* env = std::getenv("PTV_THIRD_PARTY_DIR");
    return env && *env ? env : "/var/cache/ptvlab";
}

}  // namespace

std::vector<std::string> guest_names() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(guest_dir(), ec))
        if (e.path().extension() == ".bin") names.push_back(e.path().stem().string());
    for (const ThirdPartyGuest& g : kThirdParty) names.emplace_back(g.name);
    std::sort(names.begin(), names.end());
    return names;
}

std::string resolve_guest(const std::string& arg) {
    std::error_code ec;
    // A bare name is a guest's unless a file of that name is here: a
    // directory that happens to share it (a build tree's tests/threads)
    // does not hide the guest.
    const bool path = arg.find('/') != std::string::npos || fs::is_regular_file(arg, ec);
    if (!path) {
        fs::path p = fs::path(guest_dir()) / (arg + ".bin");
        if (fs::exists(p, ec)) return p.string();
        for (const ThirdPartyGuest& g : kThirdParty) {
            if (g.name != arg) continue;
            const fs::path image = third_party_dir() / g.package / g.file;
            if (!fs::exists(image, ec))
                throw UsageError(fmt::format(
                    "guest '{}' is Debian's {}, not unpacked at {}; run scripts/setup.sh as root",
                    arg, g.package, image.string()));
            return image.string();
        }
    }
    if (path || fs::exists(arg, ec)) {
        if (fs::is_directory(arg, ec))
            throw UsageError(
                fmt::format("'{}' is a directory, not a guest image; give a .bin file", arg));
        if (!fs::exists(arg, ec))
            throw UsageError(fmt::format("no such guest image '{}'; check the path", arg));
        return arg;
    }
    auto names = guest_names();
    throw UsageError(fmt::format("no guest named '{}' and no such file; guests: {}", arg,
                                 names.empty() ? std::string("(none built: run 'make build')")
                                               : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace ptv::cli
