// `ptv migrate live|listen|ship`: strong mobility (live migration of a
// running KVM guest from one worker process to another, over TCP) and weak
// mobility (shipping a guest image to a listening host, where it starts
// fresh). ptv itself runs no guest: it starts the workers, hands the
// destination worker its connection once the hello checks out, and reports
// what the source measured. The algorithms are in real-kvm-backend/migration.
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/outcome.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/migration/precopy_policy.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/report.hpp"
#include "ptv/worker/spawn.hpp"
#include "worker_watch.hpp"

namespace ptv::cli {

namespace mig = ptv::migration;
using nlohmann::json;

namespace {

struct LiveOptions {
    std::string guest, mode = "precopy", cmdline, to, policy = "qemu", trace;
    uint32_t memory_mib = 64;
    double after_s = 1.0, stop_after_s = -1, downtime_limit_ms = 300, timeout_s = 5;
    bool json = false;
};

struct ListenOptions {
    std::string address = "0.0.0.0";
    uint16_t port = 0;
    double stop_after_s = -1;
    bool json = false;
};

struct ShipOptions {
    std::string guest, to, cmdline;
    uint32_t memory_mib = 64;
};

// A worker ptv started, and what it said.
struct Tracked {
    explicit Tracked(std::string r) : role(std::move(r)) {}
    std::string role;  // "source", "destination"
    worker::SpawnedWorker w;
    std::unique_ptr<worker::MessageReader> reader;
    bool open = false;
    json result;
    int wait_status = 0;

    // Starts the worker: `incoming_fd` (>= 0) on its fd 4, its stdout to
    // `stdout_fd` (-1: ours), starting with signal mask `mask` (ours before
    // StopSignals blocked the stop signals).
    void start(std::vector<std::string> args, int incoming_fd, const sigset_t& mask,
               int stdout_fd) {
        worker::WorkerSpawn how;
        how.argv = std::move(args);
        if (incoming_fd >= 0) how.extra_fds = {incoming_fd};
        how.stdout_fd = stdout_fd;
        how.sigmask = mask;
        w = worker::spawn_worker(how);
        if (w.error != 0)
            throw UsageError(fmt::format("cannot start worker '{}': {}; run 'make build'",
                                         how.argv[0], std::strerror(w.error)));
        reader = std::make_unique<worker::MessageReader>(w.control);
        open = true;
    }
    void send(const json& m) {
        if (open) worker::send_message(w.control, m);
    }
    void close() {
        open = false;
        ::close(w.control);
        while (::waitpid(w.pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
    }
    // The result, or an error message about a worker that died without one.
    json outcome() const {
        if (!result.is_null()) return result;
        return {{"type", "error"},
                {"status", exit_status(Outcome::WorkerDied)},
                {"message", fmt::format("the {} worker (pid {}) died: {}", role, w.pid,
                                        describe_wait_status(wait_status))}};
    }
};

std::vector<std::string> worker_args() {
    const std::string worker = worker_path();
    if (::access(worker.c_str(), X_OK) != 0)
        throw UsageError(fmt::format("worker binary '{}' is missing; run 'make build'", worker));
    return {worker, "--control-fd", "3", "--no-input"};
}

// The first bytes of a connection must be a hello we accept; anything else
// is refused here, before a worker (and a VM) exists for it. The hello is
// only peeked: the worker reads it again.
std::string check_incoming(int fd) {
    mig::Hello h{};
    const uint64_t deadline = now_ns() + 5'000'000'000ull;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int left_ms = int((deadline - std::min(deadline, now_ns())) / 1'000'000);
        if (left_ms <= 0) return "no hello within 5 s: refused";
        if (::poll(&p, 1, left_ms) <= 0) continue;
        const ssize_t n = ::recv(fd, &h, sizeof h, MSG_PEEK);
        if (n <= 0) return "the connection closed before a complete hello";
        if (size_t(n) == sizeof h) break;
        if (n >= 8 && std::memcmp(h.magic, mig::kMagic, 8) != 0) break;  // garbage: say so now
        ::usleep(1000);
    }
    return mig::check_hello(h);
}

// "12 remote faults, degraded for 3.40 ms"; a post-copy that never got
// every page (its source was lost) has no end to its degraded window.
std::string postcopy_summary(const json& pc) {
    const uint64_t faults = pc.value("remote_faults", 0ull);
    const json& degraded = pc.value("degraded_ms", json(nullptr));
    return fmt::format("{} remote fault{}, {}", faults, faults == 1 ? "" : "s",
                       degraded.is_number()
                           ? fmt::format("degraded for {:.2f} ms", degraded.get<double>())
                           : std::string("degraded until the source was lost"));
}

void refuse(int fd, const std::string& why) {
    mig::FrameHeader f{uint32_t(mig::Frame::Refuse), 0, why.size()};
    (void)!::send(fd, &f, sizeof f, MSG_NOSIGNAL);
    (void)!::send(fd, why.data(), why.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
}

// Accepts one connection; returns its descriptor if its hello is good,
// -1 after refusing it (and saying why on stderr).
int accept_migration(int lfd, const char* who) {
    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return -1;
    const std::string peer = mig::peer_name(fd);
    if (std::string why = check_incoming(fd); !why.empty()) {
        refuse(fd, why);
        ::close(fd);
        std::fprintf(stderr, "%s: refused a connection from %s: %s\n", who, peer.c_str(),
                     why.c_str());
        return -1;
    }
    return fd;
}

std::string fmt_bytes(double b) {
    if (b >= 1 << 30) return fmt::format("{:.2f} GiB", b / double(1 << 30));
    if (b >= 1 << 20) return fmt::format("{:.2f} MiB", b / double(1 << 20));
    if (b >= 1 << 10) return fmt::format("{:.1f} KiB", b / 1024);
    return fmt::format("{:.0f} B", b);
}

void print_round(const json& r) {
    const bool sc = r.value("stop_and_copy", false);
    const std::string label = sc ? "stop-and-copy" : fmt::format("round {}", r.value("round", 0));
    std::string line =
        fmt::format("ptv: {:<13} {:>7} pages ({} zero) {:>10} in {:8.2f} ms", label,
                    r.value("pages", 0ull), r.value("zero_pages", 0ull),
                    fmt_bytes(double(r.value("bytes", 0ull))), r.value("duration_ms", 0.0));
    if (!sc) line += fmt::format("; dirtied meanwhile: {}", r.value("pages_dirtied", 0ull));
    if (!r.value("decision", "").empty())
        line += fmt::format(" -> stop-and-copy ({})", r.value("decision", ""));
    std::fprintf(stderr, "%s\n", line.c_str());
}

// The migration trace (category "migration") from the source's report: a
// "round" span per pre-copy round, the "stop-and-copy", the "downtime"
// (paused on A until running on B) and, for post-copy, the "degraded"
// window while pages still come on demand.
void write_trace(const std::string& path, const json& s) {
    auto t = trace::TraceWriter::open(path);
    const int pid = 1;
    t.process_name(
        pid, fmt::format("migration of {} ({})", s.value("guest", "guest"), s.value("mode", "")));
    t.thread_name(pid, 1, "source A");
    t.thread_name(pid, 2, "destination B");
    for (const auto& r : s["rounds"])
        t.complete("migration", "round", pid, 1, r["start_ms"].get<double>() * 1e3,
                   r["duration_ms"].get<double>() * 1e3,
                   {{"round", r["round"]},
                    {"pages_sent", r["pages"]},
                    {"pages_dirtied", r["pages_dirtied"]},
                    {"zero_pages", r["zero_pages"]},
                    {"bytes", r["bytes"]},
                    {"decision", r["decision"]}});
    const auto& sc = s["stop_and_copy"];
    t.complete("migration", "stop-and-copy", pid, 1, sc["start_ms"].get<double>() * 1e3,
               sc["duration_ms"].get<double>() * 1e3,
               {{"round", sc["round"]},
                {"pages_sent", sc["pages"]},
                {"pages_dirtied", 0},
                {"bytes", sc["bytes"]}});
    const double pause_us = s["pause_ms"].get<double>() * 1e3;
    const double down_us = s["downtime_ms"].get<double>() * 1e3;
    t.complete(
        "migration", "downtime", pid, 1, pause_us, down_us,
        {{"source_ms", s["source_downtime_ms"]}, {"destination_ms", s["destination_start_ms"]}});
    if (s.contains("postcopy") && s["postcopy"].is_object()) {
        const auto& pc = s["postcopy"];
        if (pc["degraded_ms"].is_number())
            t.complete("migration", "degraded", pid, 2, pause_us + down_us,
                       pc["degraded_ms"].get<double>() * 1e3,
                       {{"remote_faults", pc["remote_faults"]},
                        {"pages_requested", pc["pages_requested"]},
                        {"pages_pushed", s["pages_pushed"]}});
    }
    t.finish();
}

// The one document `ptv migrate live` reports (and --json prints).
json summary_of(const LiveOptions& o, const json& migration, const Tracked& a,
                const std::optional<Tracked>& b) {
    json s = migration.is_object() ? migration : json::object();
    s.erase("type");
    s["guest"] = std::filesystem::path(o.guest).stem().string();
    s["mode"] = o.mode;
    if (!s.contains("status")) s["status"] = "failed";
    s["source"] = a.outcome();
    // The destination's own account (its start-up, the digest of what
    // arrived, post-copy's faults): from B's result here, or from the
    // listener on the other machine.
    json in = nullptr;
    if (b) {
        s["destination"] = b->outcome();
        in = b->result.is_object() ? b->result.value("migration", json(nullptr)) : json(nullptr);
    }
    if (in.is_object()) {
        s["destination_digest"] = in["digest"];
        s["digest_match"] =
            in.value("digest_match", false) && in["digest"] == s.value("digest", json());
        if (in.contains("postcopy")) s["postcopy"] = in["postcopy"];
    }
    return s;
}

int live(const LiveOptions& o) {
    (void)mig::parse_mode(o.mode);
    if (!o.to.empty()) mig::check_host_port(o.to);
    (void)mig::make_precopy_policy(o.policy);
    const std::string image = resolve_guest(o.guest);
    const std::string name = std::filesystem::path(image).stem().string();
    const std::string trace_path = o.trace.empty() ? "migration.trace.json" : o.trace;
    {
        // Checked up front (without creating the file): a migration must not
        // fail at its end for want of a place to write its trace.
        auto parent = std::filesystem::path(trace_path).parent_path();
        if (parent.empty()) parent = ".";
        if (::access(parent.c_str(), W_OK) != 0 ||
            (std::filesystem::exists(trace_path) && ::access(trace_path.c_str(), W_OK) != 0))
            throw UsageError(
                fmt::format("cannot write the trace to '{}'; give --trace FILE in a "
                            "writable place",
                            trace_path));
    }
    StopSignals signals;
    int lfd = -1;
    std::string to = o.to;
    if (to.empty()) {
        lfd = mig::listen_tcp("127.0.0.1", 0);
        to = fmt::format("127.0.0.1:{}", mig::local_port(lfd));
    }
    const int serial_fd = o.json ? 2 : -1;
    auto args = worker_args();
    args.insert(args.end(), {image, "--name", name, "--memory", std::to_string(o.memory_mib)});
    if (!o.cmdline.empty()) args.insert(args.end(), {"--cmdline", o.cmdline});
    Tracked a("source");
    std::optional<Tracked> b;
    a.start(args, -1, signals.old_mask(), serial_fd);
    if (!o.json)
        std::fprintf(stderr, "ptv: %s runs in worker A (pid %d); %s migration to %s in %.1f s\n",
                     name.c_str(), a.w.pid, o.mode.c_str(), to.c_str(), o.after_s);

    uint64_t t_started = 0, stop_at = 0;
    bool migrate_sent = false, stopping = false;
    json migration = nullptr;
    auto holder = [&]() -> Tracked* {
        if (migration.is_object() && migration.value("status", "") == "done" && b && b->open)
            return &*b;
        return a.open ? &a : nullptr;
    };
    while (a.open || (b && b->open)) {
        std::vector<pollfd> fds = {{signals.fd(), POLLIN, 0},
                                   {a.open ? a.w.control : -1, POLLIN, 0},
                                   {b && b->open ? b->w.control : -1, POLLIN, 0},
                                   {lfd, POLLIN, 0}};
        ::poll(fds.data(), fds.size(), 20);
        const uint64_t now = now_ns();
        if (fds[0].revents) {
            char buf[128];
            while (::read(signals.fd(), buf, sizeof buf) > 0) {
            }
            a.send({{"type", "stop"}});
            if (b) b->send({{"type", "stop"}});
            stopping = true;
        }
        if (!migrate_sent && !stopping && t_started &&
            now >= t_started + uint64_t(o.after_s * 1e9)) {
            json req = {{"type", "migrate"},        {"to", to},
                        {"mode", o.mode},           {"policy", o.policy},
                        {"timeout_s", o.timeout_s}, {"downtime_limit_ms", o.downtime_limit_ms}};
            a.send(req);
            migrate_sent = true;
        }
        if (stop_at && now >= stop_at) {
            if (Tracked* h = holder()) h->send({{"type", "stop"}});
            stop_at = 0;
            stopping = true;
        }
        if (lfd >= 0 && (fds[3].revents & POLLIN)) {
            const int conn = accept_migration(lfd, "ptv");
            if (conn >= 0) {
                auto bargs = worker_args();
                bargs.insert(bargs.end(), {"--incoming-fd", "4"});
                b.emplace("destination");
                b->start(bargs, conn, signals.old_mask(), serial_fd);
                ::close(conn);
                ::close(lfd);
                lfd = -1;
            }
        }
        if (fds[1].revents && a.open) {
            const bool alive = a.reader->read_once();
            json m;
            while (a.reader->pop(m)) {
                const std::string type = m.value("type", "");
                if (type == "started") {
                    t_started = now_ns();
                } else if (type == "migration-round") {
                    if (!o.json) print_round(m);
                } else if (type == "migration") {
                    migration = m;
                    const bool done = m.value("status", "") == "done";
                    if (!o.json && !done)
                        std::fprintf(stderr, "ptv: migration failed: %s%s\n",
                                     m.value("message", "").c_str(),
                                     m.value("guest", "") == "running on the source"
                                         ? "; the guest keeps running on the source (A)"
                                         : "");
                    if (o.stop_after_s >= 0) stop_at = now_ns() + uint64_t(o.stop_after_s * 1e9);
                } else if (type == "result" || type == "error") {
                    a.result = m;
                }
            }
            if (!alive) a.close();
        }
        if (b && b->open && fds[2].revents) {
            const bool alive = b->reader->read_once();
            json m;
            while (b->reader->pop(m))
                if (m.value("type", "") == "result" || m.value("type", "") == "error")
                    b->result = m;
            if (!alive) b->close();
        }
    }
    if (lfd >= 0) ::close(lfd);

    // What happened, from both sides.
    if (!migration.is_object() && !migrate_sent)
        migration = {{"status", "failed"},
                     {"message", "the guest ended before the migration began"}};
    json s = summary_of(o, migration, a, b);
    const bool done = s.value("status", "") == "done";
    if (done) write_trace(trace_path, s);
    if (o.json) {
        std::printf("%s\n", s.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else {
        std::fflush(stdout);
        if (done) {
            std::fprintf(stderr,
                         "ptv: migrated %s (%s%s) to %s: total %.2f ms, downtime %.3f ms "
                         "(A %.3f + B %.3f), %s sent for %s of memory\n",
                         name.c_str(), o.mode.c_str(),
                         s.value("policy", "").empty()
                             ? ""
                             : fmt::format(", {} policy: {}", s.value("policy", ""),
                                           s.value("stop_reason", ""))
                                   .c_str(),
                         s.value("to", "").c_str(), s.value("total_ms", 0.0),
                         s.value("downtime_ms", 0.0), s.value("source_downtime_ms", 0.0),
                         s.value("destination_start_ms", 0.0),
                         fmt_bytes(double(s.value("bytes_sent", 0ull))).c_str(),
                         fmt_bytes(double(s.value("memory_bytes", 0ull))).c_str());
            if (s.contains("postcopy"))
                std::fprintf(stderr, "ptv: post-copy: %s\n",
                             postcopy_summary(s["postcopy"]).c_str());
            if (s.contains("destination_digest"))
                std::fprintf(stderr,
                             "ptv: memory digest at the switch-over: %s on A, %s on B: %s\n",
                             s.value("digest", "").c_str(),
                             s["destination_digest"].get<std::string>().c_str(),
                             s.value("digest_match", false) ? "match" : "MISMATCH");
            std::fprintf(stderr, "ptv: trace: %s (ptv viz %s --view migration)\n",
                         trace_path.c_str(), trace_path.c_str());
        }
        const json& last = b ? s["destination"] : s["source"];
        if (last.value("type", "") == "error")
            std::fprintf(stderr, "ptv: %s\n", last.value("message", "").c_str());
        else if (last.is_object())
            std::fprintf(stderr, "%s\n", worker::outcome_line(last).c_str());
    }
    if (!done) {
        if (s["source"].value("outcome", "") == "guest-lost")
            return exit_status(Outcome::GuestLost);
        return exit_status(Outcome::MigrationFailed);
    }
    if (s.contains("digest_match") && !s["digest_match"].get<bool>()) return 1;
    const json& end = b ? s["destination"] : s["source"];
    const int status = end.value("status", 9);
    // Stopped by us (--stop-after) is how the run was meant to end.
    if (stopping && end.value("outcome", "") == "stopped" && o.stop_after_s >= 0) return 0;
    return status;
}

// The destination's side on another machine: wait for one migration or
// shipped guest, run it here, report.
int listen(const ListenOptions& o) {
    StopSignals signals;
    const int lfd = mig::listen_tcp(o.address, o.port);
    std::fprintf(stderr,
                 "ptv migrate listen: waiting on %s:%u for a migration or a "
                 "shipped guest\n",
                 o.address.c_str(), unsigned(mig::local_port(lfd)));
    std::optional<Tracked> b;
    bool stopping = false;
    uint64_t stop_at = 0;
    while (!b || b->open) {
        pollfd fds[3] = {{signals.fd(), POLLIN, 0},
                         {b ? -1 : lfd, POLLIN, 0},
                         {b && b->open ? b->w.control : -1, POLLIN, 0}};
        ::poll(fds, 3, 20);
        if (fds[0].revents) {
            char buf[128];
            while (::read(signals.fd(), buf, sizeof buf) > 0) {
            }
            if (!b) {
                ::close(lfd);
                std::fprintf(stderr, "ptv migrate listen: stopped before anything arrived\n");
                return exit_status(Outcome::Stopped);
            }
            b->send({{"type", "stop"}});
            stopping = true;
        }
        if (stop_at && now_ns() >= stop_at) {
            b->send({{"type", "stop"}});
            stop_at = 0;
            stopping = true;
        }
        if (!b && (fds[1].revents & POLLIN)) {
            const int conn = accept_migration(lfd, "ptv migrate listen");
            if (conn < 0) continue;  // refused; keep listening
            const std::string peer = mig::peer_name(conn);
            auto args = worker_args();
            args.insert(args.end(), {"--incoming-fd", "4"});
            b.emplace("destination");
            b->start(args, conn, signals.old_mask(), o.json ? 2 : -1);
            ::close(conn);
            std::fprintf(stderr, "ptv migrate listen: %s connected; worker B (pid %d) takes it\n",
                         peer.c_str(), b->w.pid);
        }
        if (b && b->open && fds[2].revents) {
            const bool alive = b->reader->read_once();
            json m;
            while (b->reader->pop(m)) {
                const std::string type = m.value("type", "");
                if (type == "incoming" && o.stop_after_s >= 0)
                    stop_at = now_ns() + uint64_t(o.stop_after_s * 1e9);
                if (type == "result" || type == "error") b->result = m;
            }
            if (!alive) b->close();
        }
    }
    ::close(lfd);
    const json r = b->outcome();
    if (o.json) {
        std::printf("%s\n", r.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else if (r.value("type", "") == "error") {
        std::fprintf(stderr, "ptv migrate listen: %s\n", r.value("message", "").c_str());
    } else {
        const json& in = r.value("migration", json(nullptr));
        if (in.is_object()) {
            std::fprintf(stderr,
                         "ptv migrate listen: received a %s migration (%s); guest ran %.3f "
                         "ms after Go\n",
                         in.value("mode", "").c_str(),
                         fmt_bytes(double(in.value("bytes_received", 0ull))).c_str(),
                         in.value("start_ms", 0.0));
            if (in.contains("postcopy"))
                std::fprintf(stderr, "ptv migrate listen: post-copy: %s\n",
                             postcopy_summary(in["postcopy"]).c_str());
            std::fprintf(stderr,
                         "ptv migrate listen: memory digest at the switch-over: %s here, "
                         "%s on the source: %s\n",
                         in.value("digest", "").c_str(),
                         in["source_digest"].is_string()
                             ? in["source_digest"].get<std::string>().c_str()
                             : "(none)",
                         !in["source_digest"].is_string()  ? "not checked"
                         : in.value("digest_match", false) ? "match"
                                                           : "MISMATCH");
        }
        std::fprintf(stderr, "%s\n", worker::outcome_line(r).c_str());
    }
    const int status = r.value("status", 9);
    if (stopping && r.value("outcome", "") == "stopped" && o.stop_after_s >= 0) return 0;
    return status;
}

// Weak mobility (Fuggetta et al.): only code and initial data travel; the
// guest starts from the beginning over there, unlike live migration.
int ship(const ShipOptions& o) {
    const std::string image = resolve_guest(o.guest);
    std::ifstream in(image, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes.empty()) throw UsageError(fmt::format("cannot read guest image '{}'", image));
    const std::string name = std::filesystem::path(image).stem().string();
    mig::Connection conn(mig::connect_tcp(o.to, 5.0), o.to);
    mig::open_session(conn, mig::Kind::Ship, mig::Mode::PreCopy, uint64_t(o.memory_mib) << 20,
                      {{"name", name}, {"cmdline", o.cmdline}, {"image", image}});
    conn.send_frame(mig::Frame::Image, bytes.data(), bytes.size());
    const auto h = conn.read_header();
    if (mig::Frame(h.type) == mig::Frame::Error) {
        const auto why = conn.read_payload(h, 4096);
        throw UsageError(fmt::format("{} could not start {}: {}", o.to, name,
                                     std::string(why.begin(), why.end())));
    }
    if (mig::Frame(h.type) != mig::Frame::Started)
        throw mig::ProtocolError(fmt::format("{} answered {} instead of started", o.to,
                                             mig::frame_name(mig::Frame(h.type))));
    const json started = conn.read_json(h);
    std::printf(
        "shipped %s (%zu bytes of code and initial data) to %s: it "
        "started fresh there in "
        "worker pid %d (weak mobility: no execution state travelled)\n",
        name.c_str(), bytes.size(), o.to.c_str(), started.value("pid", 0));
    return 0;
}

int guarded(const std::function<int()>& f, const char* who) {
    try {
        return f();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: %s\n", who, e.what());
        return kUsageExit;
    } catch (const mig::ProtocolError& e) {
        std::fprintf(stderr, "%s: %s\n", who, e.what());
        return exit_status(Outcome::MigrationFailed);
    }
}

}  // namespace

Commands migrate_live_commands(CLI::App& migrate) {
    Commands out;
    static LiveOptions lo;
    auto* live_cmd = migrate.add_subcommand(
        "live",
        "live-migrate a running KVM guest from worker A to worker B over TCP "
        "(strong mobility)");
    live_cmd->add_option("guest", lo.guest, "guest name (ptv kvm guests) or image path")
        ->required();
    live_cmd->add_option("--mode", lo.mode, "precopy | stopcopy | postcopy")
        ->capture_default_str()
        ->check(CLI::IsMember({"precopy", "stopcopy", "postcopy"}));
    live_cmd->add_option("-m,--memory", lo.memory_mib, "guest memory in MiB")
        ->capture_default_str();
    live_cmd->add_option("--cmdline", lo.cmdline,
                         "the guest's command line (counter: working set in KiB)");
    live_cmd->add_option("--to", lo.to,
                         "HOST:PORT of 'ptv migrate listen' on another machine (default: a "
                         "second worker here, over loopback TCP)");
    live_cmd->add_option("--after", lo.after_s, "seconds the guest runs on A before migrating")
        ->capture_default_str();
    live_cmd->add_option("--stop-after", lo.stop_after_s,
                         "stop the guest this many seconds after the migration ended (default: "
                         "let it run; Ctrl-C stops it)");
    live_cmd->add_option("--policy", lo.policy, "pre-copy stop rule: qemu | xen")
        ->capture_default_str()
        ->check(CLI::IsMember({"qemu", "xen"}));
    live_cmd
        ->add_option("--downtime-limit", lo.downtime_limit_ms,
                     "qemu policy: stop pre-copying when the rest fits in MS")
        ->capture_default_str();
    live_cmd
        ->add_option("--timeout", lo.timeout_s,
                     "seconds without progress after which the connection counts as lost")
        ->capture_default_str();
    live_cmd->add_option("--trace", lo.trace, "write the migration trace here")
        ->default_str("migration.trace.json");
    live_cmd->add_flag("--json", lo.json, "print the report as JSON (guest output on stderr)");
    out.emplace_back(live_cmd, [] { return guarded([] { return live(lo); }, "ptv migrate live"); });

    static ListenOptions li;
    auto* listen_cmd = migrate.add_subcommand("listen",
                                              "receive one live migration or shipped "
                                              "guest on a TCP port, and run it here");
    listen_cmd->add_option("-p,--port", li.port, "TCP port")->required();
    listen_cmd->add_option("--address", li.address, "address to listen on")->capture_default_str();
    listen_cmd->add_option("--stop-after", li.stop_after_s,
                           "stop the guest this many seconds after it arrived");
    listen_cmd->add_flag("--json", li.json, "print the result as JSON (guest output on stderr)");
    out.emplace_back(listen_cmd,
                     [] { return guarded([] { return listen(li); }, "ptv migrate listen"); });

    static ShipOptions so;
    auto* ship_cmd =
        migrate.add_subcommand("ship",
                               "send a guest image to 'ptv migrate listen', where it starts "
                               "fresh (weak mobility)");
    ship_cmd->add_option("guest", so.guest, "guest name or image path")->required();
    ship_cmd->add_option("--to", so.to, "HOST:PORT of 'ptv migrate listen'")->required();
    ship_cmd->add_option("-m,--memory", so.memory_mib, "guest memory in MiB")
        ->capture_default_str();
    ship_cmd->add_option("--cmdline", so.cmdline, "the guest's command line");
    out.emplace_back(ship_cmd, [] { return guarded([] { return ship(so); }, "ptv migrate ship"); });
    return out;
}

}  // namespace ptv::cli
