// `ptv compare container-vs-vm` with both halves: a container and a KVM
// guest (label kvm; root for the container). Values known exactly are
// pinned; the measured ones must be there and positive.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "../kvm/ptv_run.hpp"
#include "leftovers.hpp"

using namespace ptv::test;

namespace {

Completed compare(const std::vector<std::string>& args, const TempDir& tmp) {
    std::vector<std::string> argv = {bin("ptv"), "compare", "container-vs-vm", "--runs", "3"};
    argv.insert(argv.end(), args.begin(), args.end());
    const Completed c = run(argv, {{"TMPDIR", tmp.path}}, 120);
    CHECK(entries(tmp.path).empty());
    CHECK(orphaned_cgroups().empty());
    CHECK(mounts_under(tmp.path).empty());
    CHECK(processes_running(bin("ptv-vmwp")).empty());
    return c;
}

// The table's line that starts with `row`.
std::string line_of(const std::string& out, const std::string& row) {
    size_t at = 0;
    while (at < out.size()) {
        const size_t end = out.find('\n', at);
        const std::string line = out.substr(at, end - at);
        if (line.rfind(row, 0) == 0) return line;
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return "";
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the table: every row, the container's own view, the VM's numbers and faults") {
    require_root();
    TempDir tmp;
    const Completed c = compare({}, tmp);
    INFO(c.out);
    INFO(c.err);
    REQUIRE(c.status == 0);
    for (const char* row :
         {"start-up (median of 3)", "memory", "PIDs visible", "host name", "mounts", "network",
          "fault isolation", "host kernel shared", "live migration"}) {
        CAPTURE(row);
        CHECK(line_of(c.out, row) != "");
    }
    CHECK(has(line_of(c.out, "PIDs visible"), " 1 (host: "));
    CHECK(has(line_of(c.out, "host name"), " ptv-container (host: "));
    CHECK(has(line_of(c.out, "mounts"), " 4: / /proc /sys /dev (host: "));
    CHECK(has(line_of(c.out, "network"), " lo (host: "));
    CHECK(has(line_of(c.out, "fault isolation"), "SIGSEGV inside: status 139"));
    CHECK(has(line_of(c.out, "fault isolation"),
              host_resets_vcpu_at_shutdown()
                  ? "fault-triple: triple-fault (RIP lost: the host reset the vCPU)"
                  : "fault-triple: triple-fault at RIP 0x"));
    CHECK(has(line_of(c.out, "fault isolation"), ", status 3"));
    CHECK(has(line_of(c.out, "live migration"), "yes: ptv migrate live"));
    CHECK(has(c.out, "VM fault: fault-triple: "));
}

TEST_CASE("--json: the same data, parsed") {
    require_root();
    TempDir tmp;
    const Completed c = compare({"--json"}, tmp);
    INFO(c.err);
    REQUIRE(c.status == 0);
    const auto j = nlohmann::json::parse(c.out);
    CHECK(j["runs"] == 3);
    const auto& ct = j["container"];
    CHECK(ct["inside"]["pids"] == nlohmann::json::array({"1"}));
    CHECK(ct["inside"]["hostname"] == "ptv-container");
    CHECK(ct["inside"]["interfaces"] == nlohmann::json::array({"lo"}));
    CHECK(ct["startup_ns"].size() == 3);
    CHECK(ct["startup_median_ns"].get<uint64_t>() > 0);
    CHECK(ct["peak_memory_median_bytes"].get<uint64_t>() > 0);
    CHECK(ct["fault"]["exit_status"] == 139);
    const auto& vm = j["vm"];
    CHECK(vm["stopped_ns"].size() == 3);
    CHECK(vm["startup_median_ns"].get<uint64_t>() > 0);
    CHECK(vm["ready_median_ns"].get<uint64_t>() > 0);
    CHECK(vm["ready_median_ns"].get<uint64_t>() <= vm["startup_median_ns"].get<uint64_t>());
    CHECK(vm["worker_peak_rss_bytes"].get<uint64_t>() > 0);
    CHECK(vm["guest_ram_bytes"] == 64u << 20);
    CHECK(vm["serial"] == "Hello from a ptvlab guest!\n");
    CHECK(vm["fault"]["outcome"] == "triple-fault");
    CHECK(vm["fault"]["status"] == 3);
    CHECK(vm["fault"]["rip"].is_string() != host_resets_vcpu_at_shutdown());
    CHECK(j["rows"].size() == 9);
    for (const auto& r : j["rows"]) {
        CHECK(r["container"].is_string());
        CHECK(r["vm"].is_string());
        CHECK(r["how"].is_string());
    }
}
