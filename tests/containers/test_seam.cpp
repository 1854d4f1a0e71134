// The control groups are a seam (CgroupFactory): another implementation
// plugs into run() in place of the kernel's. This one records what run()
// asks of it, and imposes nothing.
#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "leftovers.hpp"
#include "ptv/containers/run.hpp"

using namespace ptv::test;
namespace pc = ptv::containers;

namespace {

struct Record {
    std::string name;
    pc::Limits limits;
    std::vector<pid_t> attached;
    bool removed = false;
};

class RecordingGroup final : public pc::ControlGroup {
  public:
    explicit RecordingGroup(Record& r) : r_(r) {}
    ~RecordingGroup() override { r_.removed = true; }
    std::string kind() const override { return "recording"; }
    void attach(pid_t pid) override { r_.attached.push_back(pid); }
    uint64_t peak_memory_bytes() const override { return 4242; }
    uint64_t oom_kills() const override { return 0; }

  private:
    Record& r_;
};

}  // namespace

TEST_CASE("another control group implementation plugs into run()") {
    require_root();
    Record record;
    pc::RunOptions o;
    o.command = {"sh", "-c", "exit 3"};
    o.memory_mib = 16;
    o.pids = 4;
    o.cgroups = [&](const std::string& name, const pc::Limits& limits, const pc::Explain&) {
        record.name = name;
        record.limits = limits;
        return std::make_unique<RecordingGroup>(record);
    };
    const pc::RunStats s = pc::run(o);
    CHECK(s.exit_status == 3);
    CHECK(s.cgroup_kind == "recording");
    CHECK(s.peak_memory_bytes == 4242);
    CHECK(s.startup_ns > 0);
    CHECK(s.startup_ns <= s.total_ns);
    CHECK(record.name.rfind("ptv-container-" + std::to_string(::getpid()), 0) == 0);
    CHECK(record.limits.memory_bytes == 16u << 20);
    CHECK(record.limits.pids == 4u);
    REQUIRE(record.attached.size() == 1);
    CHECK(record.attached[0] > 0);
    CHECK(record.removed);
}

TEST_CASE("run() with the kernel's control groups: start-up time and peak memory") {
    require_root();
    pc::RunOptions o;
    o.command = {"sh", "-c", "x=$(head -c 8000000 /dev/zero | tr '\\0' a)"};
    o.memory_mib = 256;
    const pc::RunStats s = pc::run(o);
    CHECK(s.exit_status == 0);
    CHECK(!s.oom_killed);
    CHECK(s.startup_ns > 0);
    // The shell held 8 MB (page cache and the pipe's buffers come on top).
    CHECK(s.peak_memory_bytes >= 8000000u);
    CHECK(s.peak_memory_bytes <= 256u << 20);
    // Its group (named after this process, which lives on) is gone.
    const std::string mine = "ptv-container-" + std::to_string(::getpid());
    for (const char* root : {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"})
        for (const auto& n : entries(root)) CHECK(n.rfind(mine, 0) != 0);
}

TEST_CASE("run() hands the command's output to a descriptor of the caller's") {
    require_root();
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pc::RunOptions o;
    o.command = {"sh", "-c", "hostname; echo $$ >&2"};
    o.hostname = "seen-inside";
    o.stdout_fd = p[1];
    o.stderr_fd = p[1];
    const pc::RunStats s = pc::run(o);
    ::close(p[1]);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    ::close(p[0]);
    CHECK(s.exit_status == 0);
    CHECK(out == "seen-inside\n1\n");
}

TEST_CASE("no descriptor of the caller's beyond 0, 1 and 2 reaches the command") {
    require_root();
    // A descriptor without close-on-exec, open on a host directory.
    const int host_dir = ::open("/", O_RDONLY | O_DIRECTORY);
    REQUIRE(host_dir >= 3);
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pc::RunOptions o;
    o.command = {"ls", "/proc/self/fd"};
    o.stdout_fd = p[1];
    const pc::RunStats s = pc::run(o);
    ::close(p[1]);
    ::close(host_dir);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    ::close(p[0]);
    CHECK(s.exit_status == 0);
    // ls's own descriptor on /proc/self/fd is 3.
    CHECK(out == "0\n1\n2\n3\n");
}
