#include "ptv/containers/inside_view.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ptv::containers {

namespace {

bool numeric(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::vector<std::string> entries(const char* dir) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir)) {
        while (const dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// "DEVICE MOUNT-POINT TYPE OPTIONS 0 0" -> "MOUNT-POINT TYPE".
std::string mount_of(const std::string& line) {
    std::istringstream in(line);
    std::string device, point, type;
    in >> device >> point >> type;
    return point + " " + type;
}

}  // namespace

std::vector<std::string> look_command() {
    // The glob is expanded by the shell itself: while it runs, PID 1 is the
    // only process of the namespace. hostname, cat and ls come after.
    return {"sh", "-c",
            "echo '#pids'; for p in /proc/[0-9]*; do echo \"${p#/proc/}\"; done; "
            "echo '#hostname'; hostname; "
            "echo '#mounts'; cat /proc/mounts; "
            "echo '#net'; ls /sys/class/net"};
}

InsideView parse_view(const std::string& out) {
    InsideView v;
    std::istringstream in(out);
    std::string line, part;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') {
            part = line.substr(1);
        } else if (line.empty()) {
            continue;
        } else if (part == "pids") {
            v.pids.push_back(line);
        } else if (part == "hostname") {
            v.hostname = line;
        } else if (part == "mounts") {
            v.mounts.push_back(mount_of(line));
        } else if (part == "net") {
            v.interfaces.push_back(line);
        }
    }
    return v;
}

InsideView look_inside(RunOptions options) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw StartError(std::string("pipe for the container's output: ") + std::strerror(errno));
    options.command = look_command();
    options.stdout_fd = p[1];
    RunStats stats;
    try {
        // A few hundred bytes: the pipe holds them all until the run ends.
        stats = run(options);
    } catch (...) {
        ::close(p[0]);
        ::close(p[1]);
        throw;
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.append(buf, size_t(n));
    ::close(p[0]);
    if (stats.exit_status != 0)
        throw StartError("listing what the container sees failed: status " +
                         std::to_string(stats.exit_status) +
                         (stats.start_error.empty() ? "" : " (" + stats.start_error + ")"));
    return parse_view(out);
}

InsideView look_from_host() {
    InsideView v;
    for (const auto& n : entries("/proc"))
        if (numeric(n)) v.pids.push_back(n);
    std::sort(v.pids.begin(), v.pids.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) v.hostname = host;
    std::ifstream mounts("/proc/self/mounts");
    std::string line;
    while (std::getline(mounts, line)) v.mounts.push_back(mount_of(line));
    v.interfaces = entries("/sys/class/net");
    return v;
}

}  // namespace ptv::containers
