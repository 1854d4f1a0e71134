// Namespaces: what the command inside can see of the machine. PID 1 and its
// own processes only, its own host name, a network of only `lo`.
#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "leftovers.hpp"

using namespace ptv::test;

namespace {

// The numeric entries of /proc as the command listed them, sorted.
std::vector<int> pids_listed(const std::string& out) {
    std::vector<int> pids;
    std::istringstream in(out);
    std::string word;
    while (in >> word)
        if (std::all_of(word.begin(), word.end(), ::isdigit)) pids.push_back(std::stoi(word));
    std::sort(pids.begin(), pids.end());
    return pids;
}

}  // namespace

TEST_CASE("the command is PID 1 of its own PID namespace") {
    require_root();
    const Completed c = container({"--", "sh", "-c",
                                   "echo $$; read pid rest < /proc/self/stat; "
                                   "echo $pid"});
    CHECK(c.status == 0);
    CHECK(c.out == "1\n1\n");
}

TEST_CASE("/proc lists only the container's processes, which end with it") {
    require_root();
    // sh (PID 1) starts a sleep (PID 2), then ls (PID 3) lists /proc.
    const Completed c = container({"--", "sh", "-c", "sleep 31.25 & ls /proc; true"});
    CHECK(c.status == 0);
    CHECK(pids_listed(c.out) == std::vector<int>{1, 2, 3});
    // The sleep was still running when PID 1 ended: the PID namespace took it.
    CHECK(processes_with_arg("31.25").empty());
}

TEST_CASE("the host name is the container's own (UTS namespace)") {
    require_root();
    CHECK(container({"--", "hostname"}).out == "ptv-container\n");
    CHECK(container({"--hostname", "box-7", "--", "hostname"}).out == "box-7\n");
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    CHECK(std::string(host) != "box-7");
}

TEST_CASE("the network namespace has only lo, and lo is up") {
    require_root();
    const Completed c =
        container({"--", "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags"});
    CHECK(c.status == 0);
    // 0x9: IFF_UP | IFF_LOOPBACK.
    CHECK(c.out == "lo\n0x9\n");
}

TEST_CASE("the exit status is the command's") {
    require_root();
    CHECK(container({"--", "true"}).status == 0);
    CHECK(container({"--", "false"}).status == 1);
    CHECK(container({"--", "sh", "-c", "exit 7"}).status == 7);
}

TEST_CASE("--explain names each ingredient as it is set up, in order") {
    require_root();
    const Completed c = container({"--explain", "--memory", "64", "--pids", "8", "--", "true"});
    CHECK(c.status == 0);
    std::vector<std::string> want = {"namespace: new PID namespace — the command will be PID 1",
                                     "namespace: new network namespace",
                                     "moved the container's first process",
                                     "mount: / made private",
                                     "uts: sethostname(\"ptv-container\")",
                                     "net: lo up",
                                     "union fs: overlay lower=",
                                     "mount: proc on /proc",
                                     "pivot_root: ",
                                     "exec /bin/true as PID 1",
                                     "cgroup: removed ptv-container-",
                                     "union fs: removed "};
    const bool v2 = c.err.find("cgroup v2: memory.max = 67108864") != std::string::npos;
    want.insert(want.begin() + 0, v2 ? "cgroup v2: memory.max = 67108864"
                                     : "cgroup v1: memory.limit_in_bytes = 67108864");
    want.insert(want.begin() + 1, v2 ? "cgroup v2: pids.max = 8" : "cgroup v1: pids.max = 8");
    size_t at = 0;
    for (const auto& w : want) {
        CAPTURE(w);
        const size_t found = c.err.find(w, at);
        REQUIRE(found != std::string::npos);
        at = found;
    }
}

TEST_CASE("SIGINT (Ctrl-C) or SIGTERM to ptv stops the container and removes everything") {
    require_root();
    for (int sig : {SIGINT, SIGTERM}) {
        CAPTURE(sig);
        TempDir tmp;
        const pid_t ptv = spawn({"/usr/bin/env", "TMPDIR=" + tmp.path, bin("ptv"), "container",
                                 "run", "--", "sh", "-c", "sleep 32.5 & sleep 32.5"});
        // Running once both sleeps are.
        for (int i = 0; i < 500 && processes_with_arg("32.5").size() < 2; ++i) ::usleep(10000);
        REQUIRE(processes_with_arg("32.5").size() == 2);
        ::kill(ptv, sig);
        CHECK(wait_for(ptv) == 128 + sig);
        CHECK(processes_with_arg("32.5").empty());
        CHECK(entries(tmp.path).empty());
        CHECK(orphaned_cgroups().empty());
        CHECK(mounts_under(tmp.path).empty());
    }
}
