#include "live_counter.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "ptv/migration/protocol.hpp"
#include "ptv/worker/worker.hpp"

namespace ptv::lab::migration {

namespace mig = ptv::migration;
using nlohmann::json;

PreCopyProblem counter_model() {
    PreCopyProblem p;
    p.about = "the counter guest (a model of it: 4 MiB working set in 64 MiB)";
    p.memory_pages = 16384;
    p.bandwidth = 30517;  // 1 Gbit/s in 4 KiB pages
    p.dirty = "wws:1024:20000";
    p.downtime_limit_ms = 5;
    p.max_rounds = 30;
    return p;
}

std::string check_counter_output(const std::string& serial, int& lines) {
    lines = 0;
    const size_t cut = serial.rfind('\n');
    const std::string complete = cut == std::string::npos ? "" : serial.substr(0, cut + 1);
    const std::string unfinished = serial.substr(complete.size());
    std::istringstream in(complete);
    std::string line;
    int banners = 0;
    while (std::getline(in, line)) {
        if (line.rfind("counter: working set", 0) == 0) {
            if (++banners > 1 || lines > 0) return "the banner came again: the guest restarted";
            continue;
        }
        if (line.rfind("counter ", 0) != 0)
            return fmt::format("an unexpected serial line: '{}'", line);
        const std::string n = line.substr(8);
        if (n != std::to_string(lines + 1))
            return fmt::format("line {} says '{}', expected 'counter {}' (a {})", lines + 1, line,
                               lines + 1, std::atoll(n.c_str()) <= lines ? "repeat" : "gap");
        ++lines;
    }
    if (banners != 1) return "no banner: the guest did not start";
    const std::string due = fmt::format("counter {}\n", lines + 1);
    if (due.rfind(unfinished, 0) != 0)
        return fmt::format("the unfinished last line '{}' does not begin '{}'", unfinished,
                           due.substr(0, due.size() - 1));
    return "";
}

namespace {

std::string counter_image() {
    std::string dir;
    if (const char* env = std::getenv("PTV_GUEST_DIR"); env && *env) dir = env;
#ifdef PTV_LAB_GUEST_DIR
    if (dir.empty()) dir = PTV_LAB_GUEST_DIR;
#endif
    const std::string path = dir + "/counter.bin";
    if (dir.empty() || ::access(path.c_str(), R_OK) != 0)
        throw Failure(
            fmt::format("the guest image counter.bin is not where the kit built it "
                        "({}); build the kit's `guests` target or set PTV_GUEST_DIR",
                        path));
    return path;
}

worker::WorkerConfig counter_config(const std::string& image) {
    worker::WorkerConfig c;
    c.image_path = image;
    c.name = "counter";
    c.memory_mib = 64;
    c.cmdline = "4096";  // KiB of working set: 1024 pages
    c.timeout_s = 30;
    c.input_fd = -1;
    c.console_sink = [](std::string_view) {};  // kept in the result's serial
    return c;
}

// The two machines' vCPU threads; whatever happens, both are stopped and
// joined before the machines go away.
struct Runs {
    std::optional<worker::WorkerProcess> a, b;
    std::thread ta, tb;
    json ra, rb;
    ~Runs() {
        if (a) a->stop();
        if (ta.joinable()) ta.join();
        if (b) b->stop();
        if (tb.joinable()) tb.join();
    }
};

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

void require_kvm() {
    const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) throw NeedsKvm();
    ::close(fd);
}

void migrate_counter_on_kvm(Context& ctx) {
    require_kvm();
    const std::string image = counter_image();
    std::unique_ptr<PreCopyPolicy> policy =
        make_lab_precopy_policy({double(kKvmDowntimeLimitMs) / 1e3, kKvmMaxRounds});
    expect(policy != nullptr, "make_lab_precopy_policy returned no policy");

    Fd listener{mig::listen_tcp("127.0.0.1", 0)};
    const std::string to = fmt::format("127.0.0.1:{}", mig::local_port(listener.fd));
    auto outcome = std::make_shared<std::promise<json>>();
    std::future<json> migrated = outcome->get_future();
    Runs runs;
    runs.a.emplace(counter_config(image));
    runs.ta = std::thread([&runs] { runs.ra = runs.a->run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // it counts on A
    runs.a->migrate(
        {{"to", to}, {"mode", "precopy"}, {"timeout_s", 5.0}},
        [outcome, told = std::make_shared<bool>(false)](const json& m) {
            if (m.value("type", "") == "migration" && !*told) {
                *told = true;
                outcome->set_value(m);
            }
        },
        std::move(policy));

    // B: the destination's side of `ptv-vmwp --incoming-fd`.
    pollfd pfd{listener.fd, POLLIN, 0};
    expect(::poll(&pfd, 1, 10'000) == 1, "the source never connected to the destination");
    const int conn_fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    expect(conn_fd >= 0, "accept failed on the destination's listener");
    mig::set_path_timeout(conn_fd, 5.0);
    auto conn = std::make_unique<mig::Connection>(conn_fd, mig::peer_name(conn_fd));
    const mig::Session session = mig::accept_session(*conn);
    worker::WorkerConfig bc = counter_config(image);
    bc.memory_mib = uint32_t(session.hello.memory_bytes >> 20);
    bc.incoming = true;
    runs.b.emplace(bc);
    conn->send_json(mig::Frame::Accept, {{"pid", ::getpid()}});
    runs.b->receive_migration(std::move(conn), mig::Mode(session.hello.mode));
    runs.tb = std::thread([&runs] { runs.rb = runs.b->run(); });
    runs.ta.join();  // A's run ends as Migrated (or at its timeout)
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // it counts on B
    runs.b->stop();
    runs.tb.join();

    expect(migrated.wait_for(std::chrono::seconds(5)) == std::future_status::ready,
           fmt::format("the migration never ended; the source stopped as '{}': {}",
                       runs.ra.value("outcome", "?"), runs.ra.value("message", "")));
    const json m = migrated.get();
    std::printf("real migration on KVM (limit %llu ms, at most %u rounds):\n",
                (unsigned long long)kKvmDowntimeLimitMs, kKvmMaxRounds);
    for (const json& r : m.value("rounds", json::array()))
        std::printf("  round %3d  %7llu pages  %7llu dirtied  %8.3f ms  %s\n", r.value("round", 0),
                    (unsigned long long)r.value("pages", uint64_t(0)),
                    (unsigned long long)r.value("pages_dirtied", uint64_t(0)),
                    r.value("duration_ms", 0.0), r.value("decision", "").c_str());
    std::printf("  downtime %.3f ms, total %.3f ms, digest %s\n", m.value("downtime_ms", 0.0),
                m.value("total_ms", 0.0), m.value("digest", "").c_str());
    expect(m.value("status", "") == "done",
           fmt::format("the migration failed: {}", m.value("message", "")));
    expect(runs.ra.value("outcome", "") == "migrated",
           fmt::format("the source ended as '{}' ({}), not 'migrated'",
                       runs.ra.value("outcome", ""), runs.ra.value("message", "")));
    const json in = runs.rb.value("migration", json::object());
    expect(in.value("digest_match", false) && in.value("digest", "") == m.value("digest", ""),
           fmt::format("the memory digests differ: source {}, destination {}",
                       m.value("digest", "?"), in.value("digest", "?")));
    const std::string a = runs.ra.value("serial", ""), b = runs.rb.value("serial", "");
    int lines = 0;
    const std::string wrong = check_counter_output(a + b, lines);
    expect(wrong.empty(), "the guest's output across the migration: " + wrong);
    expect(runs.rb.value("serial_bytes", uint64_t(0)) ==
               runs.ra.value("serial_bytes", uint64_t(0)) + b.size(),
           "the destination's UART did not go on from the source's byte count");
    const size_t rounds = m.value("rounds", json::array()).size();
    ctx.measure("kvm_rounds", double(rounds));
    ctx.measure("kvm_downtime_ms", m.value("downtime_ms", 0.0));
    ctx.measure("kvm_counter_lines", lines);
    expect(rounds >= 1 && rounds <= kKvmMaxRounds,
           fmt::format("{} pre-copy rounds on KVM; at most {}", rounds, kKvmMaxRounds));
    expect(m.value("downtime_ms", 1e9) <= double(kKvmDowntimeLimitMs),
           fmt::format("downtime {:.3f} ms on KVM, over the {} ms limit",
                       m.value("downtime_ms", 0.0), kKvmDowntimeLimitMs));
}

}  // namespace ptv::lab::migration
