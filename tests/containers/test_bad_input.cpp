// Bad input: one line, status 2, and nothing made (container() checks the
// run's directory, control groups and mounts).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "leftovers.hpp"

using namespace ptv::test;

namespace {

void one_line_status_2(const Completed& c, const std::string& says) {
    CAPTURE(c.err);
    CHECK(c.status == 2);
    CHECK(c.out.empty());
    CHECK(c.err.find(says) != std::string::npos);
    CHECK(c.err.find('\n') == c.err.size() - 1);
}

}  // namespace

TEST_CASE("a command that is not in the container's file system") {
    require_root();
    one_line_status_2(container({"--", "no-such-command"}),
                      "ptv container: no-such-command: no such command in the container's file "
                      "system");
    // /usr/bin/env is the host's, not the image's.
    one_line_status_2(container({"--", "/usr/bin/perl"}), "no such command in the container's");
}

TEST_CASE("--memory 0, --pids 0 and a limit the kernel refuses") {
    require_root();
    one_line_status_2(container({"--memory", "0", "--", "true"}), "--memory 0:");
    one_line_status_2(container({"--pids", "0", "--", "true"}), "--pids 0:");
    // pids.max takes at most PID_MAX_LIMIT (4194304): the write is refused.
    one_line_status_2(container({"--pids", "5000000", "--", "true"}), "5000000 for ");
    const Completed c = container({"--pids", "5000000", "--", "true"});
    CHECK(c.err.find("pids.max") != std::string::npos);
}

TEST_CASE("no command, and a --rootfs that is not a directory") {
    require_root();
    one_line_status_2(container({}), "no command to run");
    one_line_status_2(container({"--"}), "no command to run");
    one_line_status_2(container({"--rootfs", "/etc/passwd", "--", "true"}),
                      "--rootfs /etc/passwd: not a directory");
    one_line_status_2(container({"--rootfs", "/no/such/dir", "--", "true"}), "not a directory");
}

TEST_CASE("not root: one line saying containers need root") {
    require_root();
    // setpriv drops to nobody for this one run.
    const Completed c = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             bin("ptv"), "container", "run", "--", "true"});
    one_line_status_2(c, "containers need root:");
}

TEST_CASE("a command that exists but cannot be executed: status 127 and the reason") {
    require_root();
    TempDir lower;
    std::filesystem::create_directories(lower.path + "/bin");
    { std::ofstream(lower.path + "/bin/broken") << "not a program\n"; }
    std::filesystem::permissions(lower.path + "/bin/broken", std::filesystem::perms(0755));
    const Completed c = container({"--rootfs", lower.path, "--", "broken"});
    CHECK(c.status == 127);
    CHECK(c.err.find("ptv container: exec /bin/broken: Exec format error") != std::string::npos);
}
