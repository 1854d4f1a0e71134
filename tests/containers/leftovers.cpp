#include "leftovers.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace ptv::test {

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
    }
    return names;
}

std::vector<std::string> orphaned_cgroups() {
    std::vector<std::string> left;
    const std::string prefix = "ptv-container-";
    for (const char* root : {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"}) {
        for (const auto& n : entries(root)) {
            if (n.rfind(prefix, 0) != 0) continue;
            const int pid = std::atoi(n.c_str() + prefix.size());
            if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
                left.push_back(std::string(root) + "/" + n);
        }
    }
    return left;
}

std::vector<std::string> mounts_under(const std::string& dir) {
    std::vector<std::string> found;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.find(dir) != std::string::npos || line.find("ptv-container-") != std::string::npos)
            found.push_back(line);
    return found;
}

std::vector<int> processes_with_arg(const std::string& marker) {
    std::vector<int> pids;
    for (const auto& n : entries("/proc")) {
        const int pid = std::atoi(n.c_str());
        if (pid <= 0 || pid == ::getpid()) continue;
        std::ifstream in("/proc/" + n + "/cmdline");
        std::string arg;
        while (std::getline(in, arg, '\0'))
            if (arg == marker) pids.push_back(pid);
    }
    return pids;
}

void require_root() {
    REQUIRE_MESSAGE(::geteuid() == 0,
                    "containers need root (namespaces, mounts, control groups); CI runs the "
                    "container tests as root");
}

Completed container(const std::vector<std::string>& args, double timeout_s) {
    TempDir tmp;
    std::vector<std::string> argv = {bin("ptv"), "container", "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    const Completed c = run(argv, {{"TMPDIR", tmp.path}}, timeout_s);
    CHECK_MESSAGE(entries(tmp.path).empty(), "a run's directory is left in " << tmp.path);
    CHECK(orphaned_cgroups().empty());
    CHECK(mounts_under(tmp.path).empty());
    return c;
}

}  // namespace ptv::test
