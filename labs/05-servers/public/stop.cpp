// Public case: stopping cleanly. After env_.stop is requested, serve()
// must return (within 5 s) having ended every thread it started and closed
// every descriptor it opened, whatever its connections were doing: idle on
// keep-alive, half-way through a request, waiting for the disk. Checked on
// the process itself: /proc/self/task and /proc/self/fd before the server
// started and after serve() returned.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness/cases.hpp"
#include "harness/server_under_test.hpp"
#include "ptv/servers/conformance/checks.hpp"
#include "ptv/servers/conformance/client.hpp"

using namespace std::chrono_literals;
using namespace ptv::servers::conformance;
using namespace servers_lab::harness;
using ptv::lab::expect;

namespace {

std::string describe_fd(int fd) {
    char target[256] = {};
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    return std::to_string(fd) + " (" + (n > 0 ? std::string(target, size_t(n)) : "?") + ")";
}

}  // namespace

SERVERS_LAB_CASE("clean-stop", clean_stop_case) {
    ServedTree tree;
    ServerOptions o;
    o.disk_latency = 20ms;  // every read waits: some are on the disk at the stop
    o.cache_files = 0;
    o.workers = 8;
    Snapshot before, after;
    {
        ServerUnderTest server(server_name(prefix), tree, o, &before);
        const int port = server.port();
        Report report;
        // Traffic the server opens and closes connections for: closed after
        // one request, kept alive for three then closed by the client.
        for (int i = 0; i < 6; ++i) {
            const std::string req = get_request("/small.txt", "Connection: close\r\n");
            report.expect_reply(req, ptv::servers::conformance::exchange(port, req), 200,
                                ServedTree::kSmallText);
        }
        for (int i = 0; i < 2; ++i) {
            int fd = connect_to(port);
            std::string buf;
            for (int k = 0; k < 3; ++k) {
                const std::string req = get_request("/sub/a.txt");
                send_all(fd, req);
                report.expect_reply(req, read_response(fd, buf), 200, "a\n");
            }
            close(fd);
        }
        // What is under way at the stop: three idle kept-alive connections,
        // one half-sent request, two requests waiting for the disk.
        std::vector<int> held;
        for (int i = 0; i < 3; ++i) {
            int fd = connect_to(port);
            std::string buf;
            const std::string req = get_request("/small.txt");
            send_all(fd, req);
            report.expect_reply("kept alive until the stop: " + req, read_response(fd, buf), 200);
            held.push_back(fd);
        }
        held.push_back(connect_to(port));
        send_all(held.back(), "GET /small.txt HTTP/1.1\r\nHo");
        for (int i = 0; i < 2; ++i) {
            held.push_back(connect_to(port));
            send_all(held.back(), get_request("/index.html"));
        }
        std::this_thread::sleep_for(5ms);  // the two reach the disk
        require(report);
        const double took = server.stop();
        ctx.measure("stop_seconds", took);
        for (int fd : held) close(fd);
        // A thread that has been joined may still be listed for a moment.
        for (int i = 0; i < 100; ++i) {
            after = Snapshot::take();
            if (after.threads <= before.threads) break;
            std::this_thread::sleep_for(10ms);
        }
    }
    ctx.measure("threads_before", double(before.threads));
    ctx.measure("threads_after", double(after.threads));
    expect(after.threads <= before.threads,
           std::to_string(after.threads - before.threads) +
               " thread(s) still running after serve() returned (" +
               std::to_string(before.threads) + " before the server started, " +
               std::to_string(after.threads) +
               " after): every worker or helper must be told to end and joined");
    std::vector<int> leaked;
    std::set_difference(after.fds.begin(), after.fds.end(), before.fds.begin(), before.fds.end(),
                        std::back_inserter(leaked));
    ctx.measure("descriptors_leaked", double(leaked.size()));
    if (!leaked.empty()) {
        std::string list;
        for (size_t i = 0; i < leaked.size() && i < 8; ++i)
            list += (i ? ", " : "") + describe_fd(leaked[i]);
        if (leaked.size() > 8) list += ", ...";
        throw ptv::lab::Failure(std::to_string(leaked.size()) +
                                " descriptor(s) open after serve() returned that were not "
                                "before it started: " +
                                list + "; close every connection, epoll and eventfd you open");
    }
}
