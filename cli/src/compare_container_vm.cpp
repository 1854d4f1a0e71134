// `ptv compare container-vs-vm`: the same small workload (print a line and
// stop) as a container and as a ptv VM, side by side on the lecture's points
// (Tanenbaum & van Steen, ch. 3, containers beside virtual machines): what
// starting one costs, what memory it takes, what a process inside can see,
// what isolates a fault, and whether it can move while it runs. Measured
// where it can be; the rest follows from how each is built, and the table
// says which is which.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "compare_vm.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/containers/container_trial.hpp"
#include "ptv/worker/report.hpp"

namespace ptv::cli {

namespace {

namespace pc = ptv::containers;

struct CompareArgs {
    int runs = 5;
    bool json = false;
};

constexpr uint32_t kGuestMib = 64;  // `ptv kvm run`'s default RAM

// /dev/kvm as the worker opens it ($PTV_KVM_DEVICE: the worker's own
// override, which tests use to say "none"); "" when it can be used, else why.
std::string kvm_missing() {
    const char* env = std::getenv("PTV_KVM_DEVICE");
    const std::string path = env && *env ? env : "/dev/kvm";
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return path + ": " + std::strerror(errno);
    struct stat st {};
    const bool device = ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
    ::close(fd);
    return device ? "" : path + ": not a character device";
}

std::string ms(uint64_t ns) {
    return fmt::format("{:.2f} ms", double(ns) / 1e6);
}

std::string mib(uint64_t bytes) {
    return fmt::format("{:.1f} MiB", double(bytes) / double(1 << 20));
}

std::string joined(const std::vector<std::string>& words, const char* sep = " ") {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : sep) + w;
    return s;
}

// Mount points only ("/proc proc" -> "/proc").
std::vector<std::string> points(const std::vector<std::string>& mounts) {
    std::vector<std::string> p;
    for (const auto& m : mounts) p.push_back(m.substr(0, m.find(' ')));
    return p;
}

// The host's PIDs are many and say nothing one by one: a count for it.
nlohmann::json view_json(const pc::InsideView& v, bool host = false) {
    nlohmann::json j = {
        {"hostname", v.hostname}, {"mounts", v.mounts}, {"interfaces", v.interfaces}};
    if (host)
        j["pid_count"] = v.pids.size();
    else
        j["pids"] = v.pids;
    return j;
}

struct Row {
    std::string what, container, vm, how;
};

std::vector<Row> rows(const pc::ContainerTrial& c, const VmTrial& v, int runs) {
    const uint64_t c_start = pc::median(c.startup_ns), v_start = pc::median(v.stopped_ns);
    const double ratio = c_start ? double(v_start) / double(c_start) : 0;
    const auto& in = c.inside;
    const auto& host = c.host;
    const std::string own = fmt::format("none: {} MiB RAM, 1 vCPU", v.memory_mib);
    const std::string both = "container measured, VM by design";
    const auto& f = v.fault;
    return {
        {fmt::format("start-up (median of {})", runs), ms(c_start),
         fmt::format("{} ({:.1f}x the container)", ms(v_start), ratio),
         "measured: clone to exec; spawn to halt"},
        {"memory", mib(pc::median(c.peak_memory_bytes)) + " peak of its cgroup",
         fmt::format("{} worker peak RSS + {} MiB guest RAM given", mib(v.peak_rss_bytes),
                     v.memory_mib),
         "measured (RAM given: by design)"},
        {"PIDs visible", fmt::format("{} (host: {})", joined(in.pids), host.pids.size()),
         "its own machine: no host process", both},
        {"host name", fmt::format("{} (host: {})", in.hostname, host.hostname),
         "its own: no host kernel object in it", both},
        {"mounts",
         fmt::format("{}: {} (host: {})", in.mounts.size(), joined(points(in.mounts)),
                     host.mounts.size()),
         own + ", port-map devices", both},
        {"network", fmt::format("{} (host: {})", joined(in.interfaces), joined(host.interfaces)),
         "none of the host's: its own devices", both},
        {"fault isolation",
         fmt::format("SIGSEGV inside: status {}, host went on", c.fault.exit_status),
         fmt::format("{}: {} {}, status {}", f.value("guest", ""), f.value("outcome", ""),
                     f.contains("rip") && f["rip"].is_string()
                         ? "at RIP " + f["rip"].get<std::string>()
                         : std::string("(RIP lost: the host reset the vCPU)"),
                     f.value("status", -1)),
         "measured"},
        {"host kernel shared", "yes: a kernel fault hits every container",
         "no: its own machine; only the hypervisor (KVM) is shared", "by design"},
        {"live migration", "no: its state is in the host kernel (needs CRIU)",
         "yes: ptv migrate live, ptv cluster rebalance", "by design"},
    };
}

int compare_container_vm(const CompareArgs& a) {
    if (a.runs < 1 || a.runs > 100)
        throw UsageError(fmt::format("--runs {}: give 1 to 100 runs", a.runs));
    // Both halves are checked before anything is started.
    if (::geteuid() != 0)
        throw UsageError(
            "compare container-vs-vm needs root for the container half (namespaces, mounts and "
            "control groups are privileged); run it as root (sudo)");
    if (const std::string why = kvm_missing(); !why.empty())
        throw UsageError("compare container-vs-vm needs /dev/kvm for the VM half (" + why +
                         "); run it on a host with KVM");
    const VmPieces pieces = find_vm_pieces();

    pc::ContainerTrial c;
    VmTrial v;
    try {
        c = pc::measure_container(a.runs);
        v = measure_vm(pieces, a.runs, kGuestMib);
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptv: compare container-vs-vm: %s\n", e.what());
        return 1;
    }

    const std::vector<Row> table_rows = rows(c, v, a.runs);
    if (a.json) {
        nlohmann::json j;
        j["runs"] = a.runs;
        nlohmann::json fault = {{"command", pc::fault_command()},
                                {"exit_status", c.fault.exit_status},
                                {"signal", c.fault.signal}};
        j["container"] = {{"workload", pc::workload_command()},
                          {"startup_ns", c.startup_ns},
                          {"startup_median_ns", pc::median(c.startup_ns)},
                          {"peak_memory_bytes", c.peak_memory_bytes},
                          {"peak_memory_median_bytes", pc::median(c.peak_memory_bytes)},
                          {"cgroup", c.cgroup_kind},
                          {"inside", view_json(c.inside)},
                          {"host", view_json(c.host, true)},
                          {"fault", fault}};
        j["vm"] = {{"workload", "hello"},
                   {"memory_mib", v.memory_mib},
                   {"stopped_ns", v.stopped_ns},
                   {"startup_median_ns", pc::median(v.stopped_ns)},
                   {"ready_median_ns", pc::median(v.ready_ns)},
                   {"worker_boot_median_ns", pc::median(v.boot_ns)},
                   {"serial", v.serial},
                   {"worker_peak_rss_bytes", v.peak_rss_bytes},
                   {"guest_ram_bytes", uint64_t(v.memory_mib) << 20},
                   {"fault",
                    {{"guest", v.fault.value("guest", "")},
                     {"outcome", v.fault.value("outcome", "")},
                     {"rip", v.fault.value("rip", nlohmann::json())},
                     {"status", v.fault.value("status", -1)},
                     {"line", worker::outcome_line(v.fault)}}}};
        j["rows"] = nlohmann::json::array();
        for (const Row& r : table_rows)
            j["rows"].push_back(
                {{"row", r.what}, {"container", r.container}, {"vm", r.vm}, {"how", r.how}});
        std::printf("%s\n",
                    j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    Table t({"", "container", "VM", "how we know"});
    for (const Row& r : table_rows) t.row({r.what, r.container, r.vm, r.how});
    std::printf("%s", t.render().c_str());
    std::printf(
        "\ncontainer: `%s` in a new container each run (%s)\n"
        "VM: guest hello in a new ptv-vmwp each run; machine built %s after the spawn (the "
        "worker's own boot: %s), memory read while counter ran\n"
        "VM fault: %s\n",
        joined(pc::workload_command()).c_str(), c.cgroup_kind.c_str(),
        ms(pc::median(v.ready_ns)).c_str(), ms(pc::median(v.boot_ns)).c_str(),
        worker::outcome_line(v.fault).c_str());
    return 0;
}

}  // namespace

Commands compare_commands(CLI::App& compare) {
    auto a = std::make_shared<CompareArgs>();
    auto* cmd = compare.add_subcommand(
        "container-vs-vm",
        "the same small workload as a container and as a ptv VM, side by side: start-up, "
        "memory, what a process inside sees, fault isolation, live migration (needs root and "
        "/dev/kvm)");
    cmd->add_option("--runs", a->runs, "N: start-ups of each to take the median of")
        ->capture_default_str();
    cmd->add_flag("--json", a->json, "print the same data as JSON");
    return {{cmd, [a] { return compare_container_vm(*a); }}};
}

}  // namespace ptv::cli
