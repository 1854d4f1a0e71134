// The registry of server architectures: the seven of chapter 3.3 by their
// --arch names, and a server defined here plugging in beside them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/common/error.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/server_registry.hpp"
#include "ptv/servers/arch/socket.hpp"

using namespace ptv::servers;
using namespace ptv::servers::arch;

namespace {

// The smallest architecture there is: accept one connection, say one fixed
// line, close it, stop.
class OneShotServer final : public Server {
  public:
    using Server::Server;
    void serve() override {
        Acceptor acceptor(env_.listen_fd);
        for (bool backoff = false;;) {
            Acceptor::Result r = acceptor.accept();
            if (r.kind == Acceptor::Kind::Accepted) {
                const char hello[] = "one shot\n";
                (void)!write(r.fd, hello, sizeof hello - 1);
                close(r.fd);
                env_.counters.connections++;
                return;
            }
            backoff = r.kind == Acceptor::Kind::Backoff;
            if (!wait_to_accept(env_.listen_fd, env_.stop.fd(), backoff)) return;
        }
    }
};

int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

}  // namespace

TEST_CASE("registry: the seven architectures of chapter 3.3, by their --arch names") {
    const std::vector<std::string> want = {"iterative",
                                           "thread-per-connection",
                                           "dispatcher-worker",
                                           "process-per-connection",
                                           "prefork",
                                           "fsm",
                                           "fibers"};
    CHECK(builtin_servers().names() == want);
    for (Architecture a : all_architectures()) {
        const ServerRegistry::Entry* e = builtin_servers().find(to_string(a));
        REQUIRE(e != nullptr);
        CHECK(e->description == describe(a));
    }
    CHECK(builtin_servers().find("dispatcher-worker")->description ==
          "Fig. 3-3: a dispatcher queues connections for K worker threads");
    CHECK(builtin_servers().find("one-shot") == nullptr);
}

TEST_CASE("registry: a server added to a copy is found and run by name") {
    ServerRegistry registry = builtin_servers();
    registry.add<OneShotServer>("one-shot", "accepts one connection and closes it");
    CHECK(registry.names().size() == 8);
    CHECK(registry.names().back() == "one-shot");
    CHECK(builtin_servers().find("one-shot") == nullptr);  // the built-ins are untouched
    CHECK_THROWS_AS(registry.add<OneShotServer>("fsm", "a second fsm"), std::invalid_argument);

    StopSignal stop;
    http::SimulatedDisk disk(".", std::chrono::milliseconds(0), 0, stop.fd());
    auto service = http::make_service(http::ServiceKind::Files);
    Shared<SharedCounters> counters;
    const int listen_fd = listen_on("127.0.0.1", 0);
    ServerEnv env{
        listen_fd, stop, *service, disk, *counters, nullptr, std::chrono::milliseconds(1000), 0};

    const int client = connect_to(bound_port(listen_fd));
    registry.make("one-shot", env)->serve();
    char buf[32] = {};
    CHECK(std::string(buf, size_t(read(client, buf, sizeof buf))) == "one shot\n");
    CHECK(counters->connections == 1);
    close(client);
    close(listen_fd);

    CHECK_THROWS_AS(builtin_servers().make("one-shot", env), ptv::UsageError);
}
