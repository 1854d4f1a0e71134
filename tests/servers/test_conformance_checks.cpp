// The conformance library's own checks can fail: the new ones (byte
// splits, random splits, idle keep-alive, slowloris) pass on the kit's
// finite-state machine and catch a server that takes each read for a whole
// request. Both run in-process, found through the architecture registry, as
// lab 05 runs a student's servers.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/server_registry.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/served_tree.hpp"
#include "ptv/servers/http/reply.hpp"
#include "server_process.hpp"

using namespace ptv::servers;
using namespace ptv::servers::arch;
using namespace ptv::servers::conformance;

namespace {

// An iterative server with the classic bug: every read is parsed as a new
// request, so a request that arrives in two pieces is parsed from its
// middle.
class OneReadOneRequestServer final : public Server {
  public:
    using Server::Server;
    void serve() override {
        Acceptor acceptor(env_.listen_fd);
        for (bool backoff = false;;) {
            Acceptor::Result r = acceptor.accept();
            if (r.kind == Acceptor::Kind::Accepted) {
                serve_one(r.fd);
                continue;
            }
            backoff = r.kind == Acceptor::Kind::Backoff;
            if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) return;
        }
    }

  private:
    void serve_one(int fd) {
        char buf[65536];
        for (;;) {
            pollfd p[2] = {{fd, POLLIN, 0}, {env_.stop.fd(), POLLIN, 0}};
            if (poll(p, 2, 2000) <= 0 || p[1].revents) break;
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            http::RequestParser parser;  // the bug: a new parser per read
            auto out = parser.feed({buf, size_t(n)});
            http::Reply reply = http::error_reply(400);
            if (out.status == http::RequestParser::Status::Complete) {
                auto plan = env_.service.plan(parser.request());
                reply = plan.reply
                            ? *plan.reply
                            : env_.service.finish(parser.request(), env_.disk.read(plan.disk_path));
            }
            const bool keep = out.status == http::RequestParser::Status::Complete && !reply.close;
            std::string bytes = http::render_head(reply, parser.request(), keep);
            if (reply.body && parser.request().method != http::Method::Head) bytes += *reply.body;
            send_all(fd, bytes);
            if (!keep) break;
        }
        close(fd);
    }
};

// A server from the registry, serving a tree in a thread of this process.
struct InProcess {
    InProcess(const ServerRegistry& registry, const std::string& name, const ServedTree& tree)
        : disk(tree.root, std::chrono::milliseconds(0), 64, stop.fd()),
          service(http::make_service(http::ServiceKind::Files)),
          listen_fd(listen_on("127.0.0.1", 0)),
          env{listen_fd, stop, *service, disk, *counters, nullptr, std::chrono::seconds(10), 4},
          server(registry.make(name, env)),
          thread([this] { server->serve(); }) {}
    ~InProcess() {
        stop.request();
        thread.join();
        close(listen_fd);
    }
    int port() const { return bound_port(listen_fd); }

    StopSignal stop;
    http::SimulatedDisk disk;
    std::unique_ptr<http::Service> service;
    Shared<SharedCounters> counters;
    int listen_fd;
    ServerEnv env;
    std::unique_ptr<Server> server;
    std::thread thread;
};

}  // namespace

TEST_CASE("conformance checks: the kit's fsm passes the splits, slowloris and idle checks") {
    ServedTree tree;
    InProcess fsm(builtin_servers(), "fsm", tree);
    Report report;
    check_byte_splits(fsm.port(), report);
    check_random_splits(fsm.port(), 42, false, report);
    check_slowloris_does_not_block(fsm.port(), 4, 5, 1.0, report);
    ptv::test::raise_fd_limit();
    check_idle_keep_alive(fsm.port(), 200, 5, 2.0, true, report);
    CHECK_MESSAGE(report.ok(), report.text());
}

TEST_CASE("conformance checks: a server that takes each read for a request fails the splits") {
    ServerRegistry registry = builtin_servers();
    registry.add<OneReadOneRequestServer>("one-read", "parses every read as a new request");
    ServedTree tree;
    InProcess server(registry, "one-read", tree);
    // Whole requests are fine...
    Report whole;
    check_get_and_head(server.port(), whole);
    CHECK_MESSAGE(whole.ok(), whole.text());
    // ...but a request cut in two is parsed from its middle: a 400 (the
    // first cut, "G" then "ET /small.txt ...", unless the machine is so busy
    // that the server read both pieces at once).
    Report split;
    check_byte_splits(server.port(), split);
    REQUIRE(!split.ok());
    const std::string& first = split.failures().front();
    CHECK(first.starts_with("one request cut after byte "));
    CHECK(
        first.ends_with(" of 39, reply 1: GET /small.txt HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n: "
                        "status 400, expected 200"));
    Report random;
    check_random_splits(server.port(), 42, true, random);
    CHECK(!random.ok());
}

TEST_CASE("conformance checks: a server without validators or listings fails those checks") {
    ServedTree tree;
    ptv::test::ServerProcess plain({"--arch", "fsm", "--root", tree.root, "--no-validators"});
    Report validators;
    check_validators_and_ranges(plain.port(), validators);
    REQUIRE(!validators.ok());
    CHECK(validators.failures().front() == "GET /small.txt: no strong ETag (\"\")");
    Report listing;
    check_directory_listing(plain.port(), listing);
    REQUIRE(!listing.ok());
    CHECK(listing.failures().front().find("status 403, expected 200") != std::string::npos);
    CHECK(plain.stop(SIGTERM) == 0);
}
