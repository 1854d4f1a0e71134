// bench-migration: live migration of the counter guest: downtime
// and total time against memory size and working set for each mode, for
// ptvlab (`ptv migrate live`) beside QEMU's own live migration of the same
// multiboot image on loopback, and beside the physical limit, loopback
// TCP's bandwidth, measured in the same run. A measurement, not a test: it
// exits 0 whatever the numbers are, 2 for a usage mistake, 1 if it fails.
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "../kvm-exits/child.hpp"
#include "bench_config.hpp"
#include "loopback.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv_migration.hpp"
#include "qemu_migration.hpp"
#include "report.hpp"
#include "results.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace ptv::bench;

namespace {

// One progress line on a terminal (stderr), rewritten in place.
void progress(const std::string& what) {
    static const bool on = ::isatty(2);
    if (on) std::fprintf(stderr, "\r\033[K%s", what.c_str());
}

std::string qemu_version(const std::string& qemu) {
    Child q({qemu, "--version"}, Child::Stream::Pipe, Child::Stream::Null);
    q.read_to_end(30);
    q.wait(10);
    const std::string& out = q.output();
    return out.substr(0, out.find('\n'));
}

BenchConfig find_programs(bool no_qemu, Results& r) {
    BenchConfig config;
    config.bin_dir = fs::read_symlink("/proc/self/exe").parent_path().string();
    const char* guests = std::getenv("PTV_GUEST_DIR");
    config.guest =
        (guests && *guests ? fs::path(guests) : fs::path(config.bin_dir).parent_path() / "guests") /
        "counter.bin";
    if (!fs::exists(config.guest))
        throw ptv::UsageError(fmt::format(
            "guest image '{}' is missing; build everything first: make build", config.guest));
    if (::access("/dev/kvm", R_OK | W_OK) != 0)
        throw ptv::UsageError("/dev/kvm is missing or not accessible: this benchmark needs KVM");
    if (no_qemu) {
        r.qemu_skipped = "--no-qemu";
    } else if (auto path = find_on_path("qemu-system-x86_64")) {
        config.qemu = r.qemu_path = *path;
        r.qemu_version = qemu_version(config.qemu);
        r.qemu_firmware = find_qboot(config.qemu).value_or("SeaBIOS (QEMU's default)");
    } else {
        r.qemu_skipped = "qemu-system-x86_64 is not on PATH (scripts/setup.sh --bench)";
    }
    return config;
}

Row measure(const BenchConfig& config, const Case& c, unsigned trials) {
    Row row;
    row.c = c;
    row.qemu_run = !config.qemu.empty();
    std::string why_not;
    const std::string label =
        fmt::format("{} MiB, {} KiB, {}", c.memory_mib, c.wss_kib, mode_name(c.mode));
    for (unsigned t = 0; t < trials; ++t) {
        progress(fmt::format("{}: trial {}/{}: ptvlab", label, t + 1, trials));
        if (auto p = run_ptv_migration(config, c, why_not)) row.ptv_trials.push_back(*p);
        if (!row.qemu_run) continue;
        progress(fmt::format("{}: trial {}/{}: QEMU", label, t + 1, trials));
        row.qemu_trials.push_back(run_qemu_migration(config, c));
    }
    row.ptv = summarize(row.ptv_trials, why_not);
    row.qemu = summarize(row.qemu_trials);
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<uint32_t> memory = {64, 256}, wss = {4096};
    std::vector<std::string> modes = {"precopy", "stopcopy", "postcopy"};
    unsigned trials = 1;
    uint32_t loopback_mib = 512;
    BenchConfig defaults;
    uint32_t downtime_limit = defaults.downtime_limit_ms;
    bool json = false, no_qemu = false;
    CLI::App app{
        "bench-migration: live migration of the counter guest (downtime, total time, bytes) "
        "for ptvlab beside QEMU's own live migration on loopback, and beside loopback TCP's "
        "bandwidth"};
    app.add_option("--memory", memory, "MIB[,MIB...]: guest memory sizes")
        ->delimiter(',')
        ->check(CLI::Range(8u, 65536u))
        ->capture_default_str();
    app.add_option("--wss", wss, "KIB[,KIB...]: working sets the guest rewrites (its command line)")
        ->delimiter(',')
        ->check(CLI::Range(4u, 64u << 20))
        ->capture_default_str();
    app.add_option("--modes", modes, "MODE[,MODE...]: precopy, stopcopy, postcopy")
        ->delimiter(',')
        ->check(CLI::IsMember({"precopy", "stopcopy", "postcopy"}))
        ->capture_default_str();
    app.add_option("--trials", trials, "trials per row (medians shown)")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    app.add_option("--downtime-limit", downtime_limit,
                   "MS: the pre-copy downtime limit, for ptv and QEMU alike")
        ->check(CLI::Range(1u, 2000u))
        ->capture_default_str();
    app.add_option("--loopback-mib", loopback_mib, "MiB pushed through loopback TCP")
        ->check(CLI::Range(16u, 16384u))
        ->capture_default_str();
    app.add_flag("--no-qemu", no_qemu, "leave QEMU out");
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-migration");

    remove_temp_dir_on_signal();
    try {
        Results r;
        BenchConfig config = find_programs(no_qemu, r);
        config.downtime_limit_ms = downtime_limit;
        r.downtime_limit_ms = config.downtime_limit_ms;
        r.qemu_max_bandwidth = config.qemu_max_bandwidth;
        r.trials = trials;
        progress("loopback TCP bandwidth");
        r.loopback_bytes = uint64_t(loopback_mib) << 20;
        r.loopback_bytes_per_s = loopback_bandwidth(r.loopback_bytes);
        for (uint32_t m : memory)
            for (uint32_t k : wss)
                for (const std::string& mode : modes)
                    r.rows.push_back(
                        measure(config, {m, k, ptv::migration::parse_mode(mode)}, trials));
        progress("");
        if (json)
            std::printf("%s\n", render_json(r).dump(2).c_str());
        else
            std::printf("%s", render_text(r).c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        progress("");
        std::fprintf(stderr, "bench-migration: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        progress("");
        std::fprintf(stderr, "bench-migration: measurement failed: %s\n", e.what());
        return 1;
    }
}
