// The container half of `ptv compare container-vs-vm`, measured here (no
// KVM needed), and the command's refusals before it starts anything.
#include <unistd.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "leftovers.hpp"
#include "ptv/containers/container_trial.hpp"

using namespace ptv::test;
namespace pc = ptv::containers;

namespace {

// $TMPDIR pointed at a fresh directory while it exists, for in-process runs.
struct TmpdirHere {
    TempDir dir;
    std::string old;
    bool had = false;
    TmpdirHere() {
        if (const char* t = std::getenv("TMPDIR")) {
            had = true;
            old = t;
        }
        ::setenv("TMPDIR", dir.path.c_str(), 1);
    }
    ~TmpdirHere() {
        if (had)
            ::setenv("TMPDIR", old.c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }
};

class FixedPeakGroup final : public pc::ControlGroup {
  public:
    std::string kind() const override { return "fixed"; }
    void attach(pid_t) override {}
    uint64_t peak_memory_bytes() const override { return 4242; }
    uint64_t oom_kills() const override { return 0; }
};

const std::vector<std::string> kContainerMounts = {"/ overlay", "/proc proc", "/sys sysfs",
                                                   "/dev tmpfs"};

void check_inside(const pc::InsideView& v) {
    CHECK(v.pids == std::vector<std::string>{"1"});
    CHECK(v.hostname == "ptv-container");
    CHECK(v.interfaces == std::vector<std::string>{"lo"});
    CHECK(v.mounts == kContainerMounts);
}

}  // namespace

TEST_CASE("the look inside lists sections as they come") {
    const pc::InsideView v = pc::parse_view(
        "#pids\n1\n#hostname\nbox\n#mounts\noverlay / overlay rw 0 0\nproc /proc proc rw 0 0\n"
        "#net\nlo\neth0\n");
    CHECK(v.pids == std::vector<std::string>{"1"});
    CHECK(v.hostname == "box");
    CHECK(v.mounts == std::vector<std::string>{"/ overlay", "/proc proc"});
    CHECK(v.interfaces == std::vector<std::string>{"lo", "eth0"});
    CHECK(pc::parse_view("").pids.empty());
}

TEST_CASE("median: the middle value, the lower middle for an even count") {
    CHECK(pc::median({}) == 0);
    CHECK(pc::median({7}) == 7);
    CHECK(pc::median({3, 1, 2}) == 2);
    CHECK(pc::median({4, 1, 3, 2}) == 2);
}

TEST_CASE("inside a container PID 1 sees only itself, its host name, its mounts and lo") {
    require_root();
    TmpdirHere tmp;
    check_inside(pc::look_inside({}));
    pc::RunOptions named;
    named.hostname = "box-9";
    CHECK(pc::look_inside(named).hostname == "box-9");
    CHECK(entries(tmp.dir.path).empty());
    CHECK(orphaned_cgroups().empty());
    CHECK(mounts_under(tmp.dir.path).empty());
}

TEST_CASE("measure_container: start-ups, peaks, the look inside and a fault") {
    require_root();
    TmpdirHere tmp;
    SUBCASE("the kernel's control groups") {
        const pc::ContainerTrial t = pc::measure_container(3);
        REQUIRE(t.startup_ns.size() == 3);
        REQUIRE(t.peak_memory_bytes.size() == 3);
        for (uint64_t ns : t.startup_ns) CHECK(ns > 0);
        for (uint64_t b : t.peak_memory_bytes) CHECK(b > 0);
        CHECK((t.cgroup_kind == "cgroup v1" || t.cgroup_kind == "cgroup v2"));
        check_inside(t.inside);
        // A process inside killed by SIGSEGV: 128 + 11, reported by its
        // shell; the container's PID 1 itself exited.
        CHECK(t.fault.exit_status == 139);
        CHECK(t.fault.signal == 0);
        // The host sees more than the container.
        CHECK(t.host.pids.size() > 1);
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        CHECK(t.host.hostname == host);
        CHECK(t.host.mounts.size() > 0);
    }
    SUBCASE("another control group plugs in through the base options") {
        pc::RunOptions base;
        base.cgroups = [](const std::string&, const pc::Limits&, const pc::Explain&) {
            return std::make_unique<FixedPeakGroup>();
        };
        const pc::ContainerTrial t = pc::measure_container(2, base);
        CHECK(t.peak_memory_bytes == std::vector<uint64_t>{4242, 4242});
        CHECK(t.cgroup_kind == "fixed");
        check_inside(t.inside);
        CHECK(t.fault.exit_status == 139);
    }
    CHECK(entries(tmp.dir.path).empty());
    CHECK(orphaned_cgroups().empty());
    CHECK(mounts_under(tmp.dir.path).empty());
}

namespace {

Completed compare(const std::vector<std::string>& args, const std::string& tmpdir,
                  const std::string& kvm_device) {
    std::vector<std::string> argv = {bin("ptv"), "compare", "container-vs-vm"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = {{"TMPDIR", tmpdir}};
    if (!kvm_device.empty()) env["PTV_KVM_DEVICE"] = kvm_device;
    return run(argv, env, 60);
}

void nothing_left(const TempDir& tmp) {
    CHECK(entries(tmp.path).empty());
    CHECK(orphaned_cgroups().empty());
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

}  // namespace

TEST_CASE("compare container-vs-vm without KVM: one line, status 2, nothing started") {
    require_root();
    TempDir tmp;
    const std::string missing = tmp.file("kvm");
    const Completed c = compare({}, tmp.path, missing);
    CHECK(c.status == 2);
    CHECK(c.out == "");
    CHECK(c.err == "ptv: compare container-vs-vm needs /dev/kvm for the VM half (" + missing +
                       ": No such file or directory); run it on a host with KVM\n");
    nothing_left(tmp);
    if (::access("/dev/kvm", F_OK) != 0) {
        // This machine: no /dev/kvm at all.
        const Completed here = compare({"--runs", "3"}, tmp.path, "");
        CHECK(here.status == 2);
        CHECK(here.err ==
              "ptv: compare container-vs-vm needs /dev/kvm for the VM half (/dev/kvm: No such "
              "file or directory); run it on a host with KVM\n");
        nothing_left(tmp);
    }
}

TEST_CASE("compare container-vs-vm: bad --runs and no root are one line each, status 2") {
    require_root();
    TempDir tmp;
    for (const char* n : {"0", "101"}) {
        CAPTURE(n);
        const Completed c = compare({"--runs", n}, tmp.path, "");
        CHECK(c.status == 2);
        CHECK(c.err == std::string("ptv: --runs ") + n + ": give 1 to 100 runs\n");
    }
    // Not root: setpriv drops to nobody for this one run.
    const Completed c = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             bin("ptv"), "compare", "container-vs-vm"});
    CHECK(c.status == 2);
    CHECK(c.err ==
          "ptv: compare container-vs-vm needs root for the container half (namespaces, mounts "
          "and control groups are privileged); run it as root (sudo)\n");
    nothing_left(tmp);
}

TEST_CASE("compare container-vs-vm: a worker that cannot run the VM is one line, status 1") {
    require_root();
    TempDir tmp;
    // /dev/null is a character device, so the check passes; the worker then
    // finds it speaks no KVM API, after the container half has run.
    const Completed c = compare({"--runs", "2"}, tmp.path, "/dev/null");
    CHECK(c.status == 1);
    CHECK(c.out == "");
    CHECK(c.err.rfind("ptv: compare container-vs-vm: the VM's workload failed: /dev/null speaks "
                      "KVM API version",
                      0) == 0);
    CHECK(std::count(c.err.begin(), c.err.end(), '\n') == 1);
    nothing_left(tmp);
    CHECK(mounts_under(tmp.path).empty());
}

namespace {

// A worker of our own behind $PTV_VMWP, speaking the control protocol as
// ptv-vmwp does (started, a stop for a guest that runs until stopped, then
// the result): the VM half's spawning, timing and reading of the result are
// tested without KVM. It knows the three guests the comparison runs.
const char* const kFakeWorker = R"(#!/bin/sh
name=$3
printf '{"type":"started","pid":%d,"guest":"%s"}\n' $$ "$name" >&3
case "$name" in
counter) read -r stop <&3; outcome=stopped; status=10; rip=0x100040 ;;
fault-triple) outcome=triple-fault; status=3; rip=0x100023 ;;
*) outcome=halted; status=0; rip=0x100030 ;;
esac
printf '{"type":"result","guest":"%s","outcome":"%s","status":%d,"message":"the %s worker","rip":"%s","startup_ns":4321,"run_ns":1000,"serial":"from %s\\n","exits":{"total":1}}\n' \
  "$name" "$outcome" $status "$name" $rip "$name" >&3
)";

}  // namespace

TEST_CASE("compare container-vs-vm with another worker: the VM half reads what it reports") {
    require_root();
    TempDir tmp, bin_dir;
    const std::string worker = bin_dir.file("fake-vmwp");
    { std::ofstream(worker) << kFakeWorker; }
    std::filesystem::permissions(worker, std::filesystem::perms(0755));
    auto compare_with = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {bin("ptv"), "compare", "container-vs-vm", "--runs", "2"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv,
                   {{"TMPDIR", tmp.path}, {"PTV_VMWP", worker}, {"PTV_KVM_DEVICE", "/dev/null"}});
    };
    const Completed table = compare_with({});
    INFO(table.err);
    REQUIRE(table.status == 0);
    CHECK(table.out.find("fault-triple: triple-fault at RIP 0x100023, status 3") !=
          std::string::npos);
    CHECK(table.out.find(
              "VM fault: fault-triple: the fault-triple worker at RIP 0x100023; 1 exits") !=
          std::string::npos);
    const Completed js = compare_with({"--json"});
    REQUIRE(js.status == 0);
    const auto j = nlohmann::json::parse(js.out);
    const auto& vm = j["vm"];
    CHECK(vm["stopped_ns"].size() == 2);
    CHECK(vm["ready_median_ns"].get<uint64_t>() > 0);
    CHECK(vm["ready_median_ns"].get<uint64_t>() <= vm["startup_median_ns"].get<uint64_t>());
    CHECK(vm["worker_boot_median_ns"] == 4321);  // the worker's own "startup_ns"
    CHECK(vm["serial"] == "from hello\n");
    CHECK(vm["worker_peak_rss_bytes"].get<uint64_t>() > 0);  // the live worker's VmHWM
    CHECK(vm["fault"]["outcome"] == "triple-fault");
    CHECK(vm["fault"]["rip"] == "0x100023");
    CHECK(j["container"]["inside"]["pids"] == nlohmann::json::array({"1"}));
    CHECK(j["rows"].size() == 9);
    nothing_left(tmp);
    CHECK(processes_with_arg(worker).empty());
}
