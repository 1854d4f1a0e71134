#include "qemu_migration.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "../kvm-exits/child.hpp"
#include "ptv/common/clock.hpp"
#include "qmp.hpp"
#include "serial_counter.hpp"
#include "stderr_to.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

namespace ptv::bench {

namespace {

// Generous limits: they only keep a broken QEMU from hanging the run.
constexpr double kBootTimeoutS = 90;  // SeaBIOS under kvm_pvm alone takes 20 s
constexpr double kMigrateTimeoutS = 120;
constexpr double kAfterTimeoutS = 20;
constexpr size_t kLinesBefore = 3;  // the source guest is counting
constexpr size_t kLinesAfter = 3;   // ... and so is the destination

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A TCP port on loopback nobody listens on right now (the kernel's choice).
uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// One QEMU of the pair, its stderr to a file in the temp dir.
std::vector<std::string> qemu_argv(const BenchConfig& config, const Case& c,
                                   const std::string& serial, const std::string& qmp,
                                   const std::string& err) {
    std::vector<std::string> argv = {config.qemu,
                                     "-accel",
                                     "kvm",
                                     "-m",
                                     std::to_string(c.memory_mib),
                                     "-nodefaults",
                                     "-display",
                                     "none",
                                     "-no-reboot",
                                     "-kernel",
                                     config.guest,
                                     "-append",
                                     std::to_string(c.wss_kib),
                                     "-serial",
                                     "file:" + serial,
                                     "-qmp",
                                     "unix:" + qmp + ",server=on,wait=off"};
    if (auto qboot = find_qboot(config.qemu)) argv.insert(argv.end(), {"-bios", *qboot});
    return stderr_to(err, argv);
}

// Polls `ready` every step_us until it holds or the time is up.
template <class Ready>
bool wait_for(Ready ready, double timeout_s, unsigned step_us = 20'000) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    while (!ready()) {
        if (now_ns() >= deadline) return false;
        ::usleep(step_us);
    }
    return true;
}

uint64_t u64(const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<uint64_t>() : 0;
}

void take_stats(const nlohmann::json& info, QemuMigration& m) {
    m.total_ms = double(u64(info, "total-time"));
    m.downtime_ms = double(u64(info, "downtime"));
    m.setup_ms = double(u64(info, "setup-time"));
    if (!info.contains("ram")) return;
    const nlohmann::json& ram = info["ram"];
    m.transferred_bytes = u64(ram, "transferred");
    m.ram_total_bytes = u64(ram, "total");
    m.precopy_bytes = u64(ram, "precopy-bytes");
    m.postcopy_bytes = u64(ram, "postcopy-bytes");
    m.downtime_bytes = u64(ram, "downtime-bytes");
    m.dirty_sync_count = u64(ram, "dirty-sync-count");
    m.precopy_rounds = m.dirty_sync_count ? m.dirty_sync_count - 1 : 0;
    m.mbps = ram.value("mbps", 0.0);
}

nlohmann::json postcopy_capability() {
    return {{"capabilities", {{{"capability", "postcopy-ram"}, {"state", true}}}}};
}

QemuMigration migrate(const BenchConfig& config, const Case& c) {
    QemuMigration m;
    TempDir dir("ptv-bench-migration");
    const std::string src_log = dir.file("source.serial"), dst_log = dir.file("dest.serial");
    const std::string src_qmp = dir.file("source.qmp"), dst_qmp = dir.file("dest.qmp");
    const std::string src_err = dir.file("source.err"), dst_err = dir.file("dest.err");
    const uint16_t port = free_port();
    const std::string uri = fmt::format("tcp:127.0.0.1:{}", port);

    auto dst_argv = qemu_argv(config, c, dst_log, dst_qmp, dst_err);
    dst_argv.insert(dst_argv.end(), {"-incoming", uri});
    Child destination(dst_argv, Child::Stream::Null, Child::Stream::Inherit);
    Child source(qemu_argv(config, c, src_log, src_qmp, src_err), Child::Stream::Null,
                 Child::Stream::Inherit);
    auto fail = [&](const std::string& what) {
        std::string why = what;
        for (const auto& [who, err] : {std::pair{"source", src_err}, {"destination", dst_err}})
            if (auto line = last_error_line(err); !line.empty())
                why += fmt::format(" ({} QEMU: {})", who, line);
        throw std::runtime_error(why);
    };

    std::optional<Qmp> src, dst;
    try {
        src.emplace(src_qmp, 30);
        dst.emplace(dst_qmp, 30);
    } catch (const std::exception& e) {
        fail(e.what());
    }
    if (!wait_for([&] { return counter_lines(read_file(src_log)).size() >= kLinesBefore; },
                  kBootTimeoutS))
        fail(fmt::format("the source guest printed no {} counter lines within {} s", kLinesBefore,
                         kBootTimeoutS));

    const bool post = c.mode == Mode::PostCopy;
    src->execute("migrate-set-parameters", {{"downtime-limit", config.downtime_limit_ms},
                                            {"max-bandwidth", config.qemu_max_bandwidth}});
    if (post) {
        try {
            src->execute("migrate-set-capabilities", postcopy_capability());
            dst->execute("migrate-set-capabilities", postcopy_capability());
        } catch (const std::exception& e) {
            m.status = fmt::format("n/a: {}", e.what());
            return m;
        }
    }
    uint64_t t_stop = 0;
    if (c.mode == Mode::StopAndCopy) {
        t_stop = now_ns();
        src->execute("stop");
    }
    src->execute("migrate", {{"uri", uri}});
    if (post) {
        try {
            src->execute("migrate-start-postcopy");  // see qemu_migration.hpp: not later
        } catch (const std::exception& e) {
            src->execute("migrate_cancel");
            m.status = fmt::format("n/a: {}", e.what());
            return m;
        }
    }

    nlohmann::json info;
    const uint64_t deadline = now_ns() + uint64_t(kMigrateTimeoutS * 1e9);
    for (;;) {
        info = src->execute("query-migrate");
        const std::string status = info.value("status", "");
        if (status == "completed" || status == "failed" || status == "cancelled") break;
        if (now_ns() >= deadline) {
            src->execute("migrate_cancel");
            m.status = fmt::format("timeout: not completed within {} s", kMigrateTimeoutS);
            return m;
        }
        // QEMU times the migration itself: polling often would only take
        // its main loop (and one of few CPUs) away from it.
        ::usleep(10'000);
    }
    take_stats(info, m);
    m.status = info.value("status", "");
    if (m.status != "completed") {
        if (info.contains("error-desc")) m.status += ": " + info["error-desc"].get<std::string>();
        return m;
    }
    if (c.mode == Mode::StopAndCopy) {
        // The destination stays paused after a paused source's migration.
        // A `cont` while it is still loading would be overruled by the
        // source's run state ("paused") once loading ends: wait for it.
        if (!wait_for(
                [&] { return dst->execute("query-status").value("status", "") != "inmigrate"; },
                kAfterTimeoutS, 500))
            fail("the destination did not finish loading the migration stream");
        dst->execute("cont");
        m.downtime_ms = m.total_ms = double(now_ns() - t_stop) / 1e6;
        m.precopy_rounds = 0;  // its one pass ran with the guest stopped
    }
    if (post && m.postcopy_bytes == 0)
        m.status = "n/a: QEMU finished as pre-copy before switching to post-copy";

    // The source is paused for good now: its serial log is complete.
    wait_for([&] { return counter_lines(read_file(dst_log)).size() >= kLinesAfter; },
             kAfterTimeoutS);
    const Continuity k = check_continuity(read_file(src_log), read_file(dst_log), kLinesAfter);
    m.continued = k.continued;
    m.source_last = k.source_last;
    m.destination_first = k.destination_first;
    return m;
}

}  // namespace

std::optional<std::string> find_qboot(const std::string& qemu) {
    const fs::path bin = fs::path(qemu).parent_path();
    for (const fs::path& p :
         {bin.parent_path() / "share/qemu/qboot.rom", fs::path("/usr/share/qemu/qboot.rom")}) {
        std::error_code ec;
        if (fs::exists(p, ec)) return p.string();
    }
    return std::nullopt;
}

QemuMigration run_qemu_migration(const BenchConfig& config, const Case& c) {
    try {
        return migrate(config, c);
    } catch (const std::exception& e) {
        QemuMigration m;
        m.status = fmt::format("error: {}", e.what());
        return m;
    }
}

}  // namespace ptv::bench
