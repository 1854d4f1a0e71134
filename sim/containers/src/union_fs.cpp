#include "ptv/containers/union_fs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace ptv::containers {

RunDirs::RunDirs() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ptv-container-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot make a directory like " + tmpl + ": " +
                                 std::strerror(errno));
    base = tmpl;
    upper = base + "/upper";
    work = base + "/work";
    merged = base + "/merged";
    for (const auto* d : {&upper, &work, &merged}) {
        if (::mkdir(d->c_str(), 0755) != 0) {
            const int err = errno;
            std::error_code ec;
            std::filesystem::remove_all(base, ec);
            throw std::runtime_error("cannot make " + *d + ": " + std::strerror(err));
        }
    }
}

RunDirs::~RunDirs() {
    // The overlay's work directory may hold a directory the kernel made
    // without permissions (work/work); root removes it all the same.
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
}

std::string overlay_options(const std::string& lower, const RunDirs& dirs) {
    return "lowerdir=" + lower + ",upperdir=" + dirs.upper + ",workdir=" + dirs.work;
}

}  // namespace ptv::containers
