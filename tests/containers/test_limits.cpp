// Control groups: the limits hold for everything the command starts.
#include <doctest/doctest.h>

#include "leftovers.hpp"

using namespace ptv::test;

namespace {

// Holds about MB megabytes in a shell variable (busybox has no allocator
// tool): the command substitution's output is kept in sh's memory.
std::string hold_megabytes(int mb) {
    return "x=$(head -c " + std::to_string(mb) + "000000 /dev/zero | tr '\\0' a); echo ${#x}";
}

}  // namespace

TEST_CASE("--pids 5: the sixth process cannot be started") {
    require_root();
    // sh is one process; of ten background sleeps at most four start.
    const std::string loop =
        "n=0; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 33.5 & n=$((n+1)); done; echo $n";
    const Completed limited = container({"--pids", "5", "--", "sh", "-c", loop});
    CAPTURE(limited.err);
    CHECK(limited.status != 0);
    CHECK(limited.err.find("can't fork") != std::string::npos);
    CHECK(processes_with_arg("33.5").empty());
    // The same loop with room for it.
    const Completed roomy = container({"--pids", "20", "--", "sh", "-c", loop});
    CHECK(roomy.status == 0);
    CHECK(roomy.out == "10\n");
    CHECK(processes_with_arg("33.5").empty());
}

TEST_CASE("--memory 16: the memory cgroup OOM-kills a command that holds 30 MB") {
    require_root();
    const Completed killed = container({"--memory", "16", "--", "sh", "-c", hold_megabytes(30)});
    CHECK(killed.status == 128 + 9);
    CHECK(killed.out.empty());
    CHECK(killed.err.find("the memory cgroup's OOM killer killed a process of the container "
                          "(limit 16 MiB") != std::string::npos);
    // With room for it (sh's buffer doubles as it grows: about twice the
    // bytes at the peak) the same command holds its 30 MB and finishes.
    const Completed fits = container({"--memory", "128", "--", "sh", "-c", hold_megabytes(30)});
    CHECK(fits.status == 0);
    CHECK(fits.out == "30000000\n");
    CHECK(fits.err.find("OOM") == std::string::npos);
}
