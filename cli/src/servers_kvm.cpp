// `ptv servers kvm`: the file server as a guest on the KVM hypervisor
// (guests/file-server/), in the architecture asked for, driven by closed-
// loop clients through the worker's host request ring, beside the host's
// own file server of the same architecture under the same load
// (`ptv servers compare`, its file cache off, as the guest has none) and
// `ptv servers sim`'s answer for the same clients and disk.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/portmap.h"
#include "ptv/servers/arch/architecture.hpp"
#include "ptv/servers/kvm/file_disk.hpp"
#include "ptv/servers/kvm/guest_load.hpp"
#include "ptv/servers/load/compare.hpp"
#include "ptv/servers/sim/model.hpp"

namespace ptv::cli {

namespace {

namespace sk = ptv::servers::kvm;
namespace sa = ptv::servers::arch;
namespace sl = ptv::servers::load;
namespace ss = ptv::servers::sim;

// The guest's designs, by the names the host's servers use.
const std::vector<std::string> kGuestArchs = {"iterative", "dispatcher-worker", "fsm"};

struct KvmServerArgs {
    std::string arch = "all";
    int clients = 8;
    double duration_s = 2;
    int disk_latency_ms = 10;
    int files = 10;
    int file_bytes = 1024;
    int workers = 4;
    std::string dispatch = "event";
    bool no_host = false;
};

void validate(const KvmServerArgs& a) {
    if (a.arch != "all" &&
        std::find(kGuestArchs.begin(), kGuestArchs.end(), a.arch) == kGuestArchs.end())
        throw UsageError(fmt::format(
            "--arch {}: the guest serves as all, iterative, dispatcher-worker or fsm", a.arch));
    if (a.clients < 1 || a.clients > ss::kMaxClients)
        throw UsageError(fmt::format("--clients {}: give 1 to {}", a.clients, ss::kMaxClients));
    if (!(a.duration_s >= 0.1 && a.duration_s <= 600))
        throw UsageError(fmt::format("--duration {}: give 0.1 to 600 seconds", a.duration_s));
    if (a.disk_latency_ms < 0 || a.disk_latency_ms > 10000)
        throw UsageError(
            fmt::format("--disk-latency {}: give 0 to 10000 milliseconds", a.disk_latency_ms));
    if (a.files < 1 || a.files > PTV_FILEDISK_MAX_FILES)
        throw UsageError(fmt::format("--files {}: the guest's disk holds 1 to {}", a.files,
                                     PTV_FILEDISK_MAX_FILES));
    if (a.file_bytes < 1 || a.file_bytes > 4096)
        throw UsageError(fmt::format("--file-bytes {}: give 1 to 4096 (one answer)", a.file_bytes));
    if (a.workers < 1 || a.workers > 16)
        throw UsageError(fmt::format("--workers {}: give 1 to 16", a.workers));
}

// The disk image, in a temporary file removed afterwards.
struct DiskFile {
    std::string path;
    explicit DiskFile(const std::vector<uint8_t>& image) {
        char tmpl[] = "/tmp/ptv-file-disk-XXXXXX";
        const int fd = ::mkstemp(tmpl);
        if (fd < 0) throw UsageError("cannot make a temporary file in /tmp");
        path = tmpl;
        const bool ok = ::write(fd, image.data(), image.size()) == ssize_t(image.size());
        ::close(fd);
        if (!ok) throw UsageError(fmt::format("cannot write {}", path));
    }
    ~DiskFile() { ::unlink(path.c_str()); }
};

std::string ms(double v) {
    return fmt::format("{:.1f}", v);
}

// One architecture's guest run.
sk::GuestLoadResult run_guest(const KvmServerArgs& a, const std::string& arch,
                              const std::vector<sk::DiskFile>& files, const std::string& disk) {
    sk::GuestLoadOptions o;
    o.worker = worker_path();
    o.image = resolve_guest("file-server");
    o.cmdline = arch == "dispatcher-worker" ? fmt::format("{} {}", arch, a.workers) : arch;
    o.disk = disk;
    o.disk_latency_ms = a.disk_latency_ms;
    o.dispatch = a.dispatch;
    o.files = files;
    o.clients = a.clients;
    o.duration_s = a.duration_s;
    return sk::run_guest_load(o);
}

// The host's servers of the same architectures, the same files and load.
std::vector<sl::CompareRow> run_host(const KvmServerArgs& a,
                                     const std::vector<std::string>& archs) {
    sl::CompareOptions c;
    c.archs.clear();
    for (const auto& name : archs) c.archs.push_back(sa::parse_architecture(name));
    c.clients = a.clients;
    c.duration_s = a.duration_s;
    c.disk_latency_ms = a.disk_latency_ms;
    c.cache_files = 0;  // every read goes to the disk, as in the guest
    c.files = a.files;
    c.file_bytes = a.file_bytes;
    c.workers = a.workers;
    c.ptv = executable_dir() + "/ptv";
    sl::validate(c);
    return sl::run_compare(c);
}

double predicted_throughput(const KvmServerArgs& a, const std::string& arch) {
    ss::Config cfg;
    cfg.clients = a.clients;
    cfg.requests = 20;
    cfg.cpu = 1;  // the model's least; the guest's own work is far less on VMX hardware
    cfg.disk = a.disk_latency_ms;
    cfg.workers = a.workers;
    return ss::simulate(sa::parse_architecture(arch), cfg).throughput();
}

int run_servers_kvm(const KvmServerArgs& a) {
    validate(a);
    const std::vector<std::string> archs =
        a.arch == "all" ? kGuestArchs : std::vector<std::string>{a.arch};
    std::vector<sk::DiskFile> files;
    for (int i = 0; i < a.files; ++i)
        files.push_back({sl::workload_file_name(i), sl::workload_file_body(i, a.file_bytes)});
    const DiskFile disk(sk::file_disk_image(files));

    // The guests first: without KVM this fails at once, with one line.
    std::vector<sk::GuestLoadResult> guests;
    int status = 0;
    for (const std::string& arch : archs) {
        guests.push_back(run_guest(a, arch, files, disk.path));
        const sk::GuestLoadResult& g = guests.back();
        const std::string outcome = g.worker.is_object() ? g.worker.value("outcome", "") : "";
        if (g.errors || outcome != "guest-exit") {
            status = 1;
            std::fprintf(stderr, "ptv: the %s guest: %s%s\n", arch.c_str(),
                         g.first_error.empty() ? "" : (g.first_error + "; ").c_str(),
                         g.worker.is_object() ? g.worker.value("message", "").c_str()
                                              : "the worker gave no result");
        }
    }
    const std::vector<sl::CompareRow> host =
        a.no_host ? std::vector<sl::CompareRow>{} : run_host(a, archs);

    std::printf(
        "file server on KVM: %d files of %d bytes, %d clients for %.1f s, disk %d ms, "
        "back end %s\n\n",
        a.files, a.file_bytes, a.clients, a.duration_s, a.disk_latency_ms, a.dispatch.c_str());
    Table t({"architecture", "guest req/s", "p50 ms", "p99 ms", "errors", "host req/s",
             "guest/host", "sim req/s", "guest/sim"});
    t.right_align({1, 2, 3, 4, 5, 6, 7, 8});
    auto ratio = [](double x, double y) { return y > 0 ? fmt::format("{:.2f}x", x / y) : "-"; };
    for (size_t i = 0; i < archs.size(); ++i) {
        const sk::GuestLoadResult& g = guests[i];
        const double predicted = predicted_throughput(a, archs[i]);
        const double host_rps = i < host.size() ? host[i].load.throughput() : 0;
        t.row({archs[i], ms(g.throughput()), ms(g.latency_ms(50)), ms(g.latency_ms(99)),
               std::to_string(g.errors), host.empty() ? "-" : ms(host_rps),
               host.empty() ? "-" : ratio(g.throughput(), host_rps), ms(predicted),
               ratio(g.throughput(), predicted)});
    }
    std::printf("%s", t.render().c_str());
    std::printf("\nsim: %d clients, 1 ms CPU and %d ms disk a request, %d workers, 1 CPU\n",
                a.clients, a.disk_latency_ms, a.workers);
    return status;
}

}  // namespace

Commands servers_kvm_commands(CLI::App& servers) {
    auto a = std::make_shared<KvmServerArgs>();
    auto* cmd = servers.add_subcommand(
        "kvm",
        "the file server as a guest on KVM (iterative, dispatcher-worker on user-level threads, "
        "fsm), driven through the host request ring, beside the host's server and the model");
    cmd->add_option("--arch", a->arch, "all, iterative, dispatcher-worker or fsm")
        ->capture_default_str();
    cmd->add_option("-c,--clients", a->clients, "C closed-loop clients")->capture_default_str();
    cmd->add_option("-d,--duration", a->duration_s, "S seconds of load for each architecture")
        ->capture_default_str();
    cmd->add_option("--disk-latency", a->disk_latency_ms, "MS each disk read takes")
        ->capture_default_str();
    cmd->add_option("--files", a->files, "FILES on the guest's disk (1 to 15)")
        ->capture_default_str();
    cmd->add_option("--file-bytes", a->file_bytes, "BYTES of each file (1 to 4096)")
        ->capture_default_str();
    cmd->add_option("--workers", a->workers, "K worker threads of dispatcher-worker (1 to 16)")
        ->capture_default_str();
    cmd->add_option("--dispatch", a->dispatch,
                    "how the worker process serves the guest's disk: inline, pool:N or event")
        ->capture_default_str();
    cmd->add_flag("--no-host", a->no_host,
                  "skip the host's servers (only the guest and the model)");
    return {{cmd, [a] { return run_servers_kvm(*a); }}};
}

}  // namespace ptv::cli
