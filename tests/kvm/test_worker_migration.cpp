// WorkerProcess::migrate with a pre-copy policy object instead of a name:
// two worker machines in this process, the counter guest moved from one to
// the other (labs/06-live-migration runs a student's policy this way).
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "process.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/worker/worker.hpp"

using namespace ptv;
using nlohmann::json;

namespace {

// Stops after round 2, whatever the rounds say.
class TwoRounds final : public migration::PreCopyPolicy {
  public:
    Decision after_round(const migration::RoundStats& s) override {
        reason_ = s.round >= 2 ? "two rounds" : "";
        return s.round >= 2 ? Decision::StopAndCopy : Decision::Continue;
    }
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "two-rounds"; }
    std::string describe() const override { return "stops after two rounds"; }

  private:
    std::string reason_;
};

worker::WorkerConfig counter() {
    worker::WorkerConfig c;
    c.image_path = test::guest("counter");
    c.name = "counter";
    c.memory_mib = 64;
    c.timeout_s = 30;
    c.input_fd = -1;
    c.console_sink = [](std::string_view) {};
    return c;
}

}  // namespace

TEST_CASE("a worker migrates with a pre-copy policy object of one's own") {
    const int listener = migration::listen_tcp("127.0.0.1", 0);
    const std::string to = "127.0.0.1:" + std::to_string(migration::local_port(listener));
    worker::WorkerProcess a(counter());
    json ra, rb;
    std::thread ta([&] { ra = a.run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto done = std::make_shared<std::promise<json>>();
    std::future<json> migrated = done->get_future();
    a.migrate(
        {{"to", to}, {"mode", "precopy"}, {"policy", "xen"}},
        [done](const json& m) {
            if (m.value("type", "") == "migration") done->set_value(m);
        },
        std::make_unique<TwoRounds>());
    pollfd pfd{listener, POLLIN, 0};
    REQUIRE(::poll(&pfd, 1, 10'000) == 1);
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(listener);
    auto conn = std::make_unique<migration::Connection>(fd, migration::peer_name(fd));
    const migration::Session session = migration::accept_session(*conn);
    worker::WorkerConfig bc = counter();
    bc.incoming = true;
    worker::WorkerProcess b(bc);
    conn->send_json(migration::Frame::Accept, {{"pid", ::getpid()}});
    b.receive_migration(std::move(conn), migration::Mode(session.hello.mode));
    std::thread tb([&] { rb = b.run(); });
    ta.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    b.stop();
    tb.join();
    REQUIRE(migrated.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    const json m = migrated.get();
    CHECK(m["status"] == "done");
    // The object's rules, not the named policy's ("xen").
    CHECK(m["policy"] == "two-rounds");
    REQUIRE(m["rounds"].size() == 2);
    CHECK(m["rounds"][1]["decision"] == "two rounds");
    CHECK(ra["outcome"] == "migrated");
    CHECK(rb["migration"]["digest_match"] == true);
}
