// The one HTTP conformance and robustness suite that every architecture
// passes: each TEST_CASE_TEMPLATE runs once per architecture, against a real
// `ptv servers run` on a real socket. The checks themselves are the
// conformance library's (sim/servers/conformance), which lab 05 runs on a
// student's servers too.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "ptv/servers/conformance/checks.hpp"
#include "server_process.hpp"

using namespace ptv::test;
using namespace ptv::servers::conformance;
using ptv::servers::http::Response;

namespace {

// One type per architecture, so that doctest names each test case after it
// ("servers: ...<fsm>") and ctest runs them in parallel.
#define PTV_ARCH(Type, name_)                                                                     \
    struct Type {                                                                                 \
        static constexpr const char* name = name_;                                                \
        static constexpr bool process_each = std::string_view(name_) == "process-per-connection"; \
    };
PTV_ARCH(Iterative, "iterative")
PTV_ARCH(ThreadPerConnection, "thread-per-connection")
PTV_ARCH(DispatcherWorker, "dispatcher-worker")
PTV_ARCH(ProcessPerConnection, "process-per-connection")
PTV_ARCH(Prefork, "prefork")
PTV_ARCH(Fsm, "fsm")
PTV_ARCH(Fibers, "fibers")
#undef PTV_ARCH

}  // namespace

TYPE_TO_STRING(Iterative);
TYPE_TO_STRING(ThreadPerConnection);
TYPE_TO_STRING(DispatcherWorker);
TYPE_TO_STRING(ProcessPerConnection);
TYPE_TO_STRING(Prefork);
TYPE_TO_STRING(Fsm);
TYPE_TO_STRING(Fibers);

#define ALL_ARCHITECTURES \
    Iterative, ThreadPerConnection, DispatcherWorker, ProcessPerConnection, Prefork, Fsm, Fibers

namespace {

std::vector<std::string> args(const char* arch, const ServedTree& tree,
                              std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--arch", arch, "--root", tree.root};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

int status_of(const std::optional<Response>& r) {
    return r ? r->status : -1;
}

}  // namespace

TEST_CASE_TEMPLATE("conformance: GET and HEAD, status codes, keep-alive, pipelining", A,
                   ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    const int port = server.port();

    Report report;
    check_get_and_head(port, report);
    check_names(port, report);
    check_traversal(port, report);
    check_keep_alive(port, report);
    check_big_file(port, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE(
    "robustness: malformed 400, URI 414, headers 431, methods and codings 501, versions 505", A,
    ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    const int port = server.port();
    Report report;
    check_malformed(port, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("robustness: a slow client times out and cannot hold the server", A,
                   ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree, {"--timeout", "0.3"}));
    const int port = server.port();
    Report report;
    check_slow_clients(port, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("robustness: a client that disconnects mid-reply", A, ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    const int port = server.port();
    Report report;
    check_disconnect_mid_reply(port, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("robustness: many concurrent connections", A, ALL_ARCHITECTURES) {
    // 10,000 concurrent connections: the C10K problem (Kegel 1999) that
    // event-driven servers answer. A process per connection is tested with
    // fewer (each is a process of its own), and sanitizer builds scale down.
    const int limit = raise_fd_limit() - 64;
    int n = A::process_each ? 1000 : 10000;
    if (sanitized_build()) n = std::min(n, 1000);
    n = std::min(n, limit);
    ServedTree tree;
    ServerProcess server(args(A::name, tree, {"--timeout", "30"}));
    int answered = many_concurrent_requests(server.port(), n, 60);
    CHECK(answered == n);
    CHECK(status_of(exchange(server.port(), get_request("/small.txt"))) == 200);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("robustness: out of file descriptors, the accept loop does not spin", A,
                   ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree, {"--max-fds", "40", "--timeout", "1"}));
    server.out_of_descriptors();
    const int port = server.port();
    // More connections than the server has descriptors, all silent.
    std::vector<int> fds;
    for (int i = 0; i < 120; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(uint16_t(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    double before = cpu_seconds(server.pid());
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    double used = cpu_seconds(server.pid()) - before;
    CHECK(used < 0.35);  // a spinning loop would use all 0.7 s
    for (int fd : fds) close(fd);
    // Served again once the descriptors are back (timeouts free them).
    std::optional<Response> r;
    for (int attempt = 0; attempt < 30 && status_of(r) != 200; ++attempt) {
        r = exchange(port, get_request("/small.txt"));
        if (status_of(r) != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(status_of(r) == 200);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("robustness: SIGTERM and SIGINT stop it cleanly, nothing left behind", A,
                   ALL_ARCHITECTURES) {
    for (int sig : {SIGTERM, SIGINT}) {
        ServedTree tree;
        ServerProcess server(args(A::name, tree));
        // An idle keep-alive connection, so that a worker (thread, process,
        // fiber) is busy with it when the signal comes.
        int fd = connect_to(server.port());
        std::string buf;
        send_all(fd, get_request("/small.txt"));
        REQUIRE(read_response(fd, buf));
        auto kids = children_of(server.pid());
        int status = server.stop(sig, 10);
        CHECK(status == 0);
        CHECK(server.output().find("stopped") != std::string::npos);
        for (pid_t k : kids) {
            INFO("child " << k);
            CHECK(!std::filesystem::exists("/proc/" + std::to_string(k)));
        }
        close(fd);
    }
}

TEST_CASE_TEMPLATE("conformance: validators, conditional and range requests, a changed file", A,
                   ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    const int port = server.port();
    Report report;
    check_validators_and_ranges(port, report);
    check_file_changed_on_disk(port, tree, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("conformance: --list-directories and --no-validators", A, ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree, {"--list-directories", "--no-validators"}));
    Report report;
    check_directory_listing(server.port(), report);
    check_no_validators(server.port(), report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("conformance: curl resumes a download, revalidates and asks for a range", A,
                   ALL_ARCHITECTURES) {
    // curl itself, as a user runs it: `curl -C -` continues a file cut short
    // (Range from its size), `--etag-save`/`--etag-compare` revalidate
    // (If-None-Match), `-z` sends If-Modified-Since, `-r` asks for a range.
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    const std::string url = fmt::format("http://127.0.0.1:{}/big.bin", server.port());
    TempDir dir;
    const std::string part = dir.path + "/big.part", etag = dir.path + "/etag";
    std::string big(ServedTree::kBigBytes, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('A' + i % 26);
    {
        std::ofstream f(part, std::ios::binary);
        f.write(big.data(), 1'234'567);  // a download cut short
    }
    auto curl = [](std::vector<std::string> a) {
        a.insert(a.begin(), {"/usr/bin/curl", "-s", "-S"});
        return run(a, {}, 30);
    };
    Completed resumed = curl({"-C", "-", "-o", part, "-w", "%{http_code}", url});
    CHECK(resumed.status == 0);
    CHECK(resumed.out == "206");
    std::ifstream in(part, std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(got.size() == big.size());
    CHECK(got == big);

    Completed first = curl({"--etag-save", etag, "-o", "/dev/null", "-w", "%{http_code}", url});
    CHECK(first.out == "200");
    Completed second = curl({"--etag-compare", etag, "-o", "/dev/null", "-w", "%{http_code}", url});
    CHECK(second.out == "304");
    Completed since = curl({"-z", part, "-o", "/dev/null", "-w", "%{http_code}", url});
    CHECK(since.out == "304");  // the part was written after the file
    Completed range = curl({"-r", "26-51", url});
    CHECK(range.out == "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    CHECK(server.stop(SIGTERM) == 0);
}

// Fig. 3-3's dispatcher hands a worker a request, not a connection that may
// never speak: connections that say nothing wait where they cost no worker.
// The worker pools are held to 50 ms per request behind 1,000 of them; the
// designs with a worker per connection to the same behind fewer (each
// silent connection is a thread, a process or a fiber of theirs), but for
// a process per connection, whose every fresh request is a fork().
TEST_CASE_TEMPLATE("robustness: silent connections do not stop the service", A, ThreadPerConnection,
                   DispatcherWorker, ProcessPerConnection, Prefork, Fsm, Fibers) {
    const std::string_view name = A::name;
    const bool pool = name == "dispatcher-worker" || name == "prefork";
    int silent = pool ? 1000 : 64;
    double limit_s = A::process_each ? 0.5 : 0.05;
    if (sanitized_build()) {
        silent = pool ? 200 : 32;
        limit_s = A::process_each ? 2 : 0.5;
    }
    silent = std::min(silent, raise_fd_limit() - 64);
    ServedTree tree;
    ServerProcess server(args(A::name, tree));
    Report report;
    check_silent_connections_do_not_block(server.port(), silent, 20, limit_s, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("robustness: the iterative server serves one connection at a time, as it says") {
    ServedTree tree;
    ServerProcess server(args("iterative", tree, {"--timeout", "1"}));
    Report report;
    check_one_connection_at_a_time(server.port(), 1, report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
    // The line with the address first (scripts read its port there), then
    // what the design implies.
    CHECK(server.first_line().find("127.0.0.1:") != std::string::npos);
    const std::string& out = server.output();
    const size_t second = out.find('\n') + 1;
    CHECK(out.substr(second, out.find('\n', second) - second) ==
          "iterative: one connection at a time; a client that connects and says nothing holds "
          "the server for up to --timeout (1 s)");
}

TEST_CASE_TEMPLATE("robustness: a 408 reaches a client that is still sending", A,
                   ALL_ARCHITECTURES) {
    ServedTree tree;
    ServerProcess server(args(A::name, tree, {"--timeout", "0.3"}));
    Report report;
    check_timeout_reply_survives(server.port(), report);
    CHECK_MESSAGE(report.ok(), report.text());
    CHECK(server.stop(SIGTERM) == 0);
}
