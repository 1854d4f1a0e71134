// Fresh requests behind silent connections (see silent.hpp).
#include "silent.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/http/request.hpp"

namespace bench_servers {

using ptv::servers::conformance::connect_to;

namespace {

// One GET on a new connection; true if answered 200 before `deadline_ns`.
bool get_once(int port, const std::string& request, uint64_t deadline_ns) {
    using P = ptv::servers::http::ResponseParser;
    int fd = connect_to(port);  // TCP_NODELAY: the request leaves at once
    if (fd < 0) return false;
    bool ok = send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size());
    P parser;
    bool complete = false;
    while (ok && !complete) {
        const uint64_t now = ptv::now_ns();
        if (now >= deadline_ns) break;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, int((deadline_ns - now) / 1'000'000) + 1) <= 0) continue;
        char buf[8192];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            complete = n == 0 && parser.finish() == P::Status::Complete;
            break;
        }
        P::Status s = parser.feed({buf, size_t(n)}).status;
        if (s == P::Status::Error) break;
        complete = s == P::Status::Complete;
    }
    close(fd);
    return complete && parser.response().status == 200;
}

}  // namespace

SilentResult measure_silent(int port, const std::string& path, int silent, int requests,
                            double timeout_s) {
    SilentResult r;
    std::vector<int> fds;
    for (int i = 0; i < silent; ++i) {
        int fd = connect_to(port);
        if (fd < 0) break;
        fds.push_back(fd);
    }
    r.silent = int(fds.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    std::vector<double> ms;
    for (int i = 0; i < requests; ++i) {
        const uint64_t t0 = ptv::now_ns();
        const bool ok = get_once(port, request, t0 + uint64_t(timeout_s * 1e9));
        ms.push_back(ok ? double(ptv::now_ns() - t0) / 1e6 : timeout_s * 1000);
        r.answered += ok;
    }
    r.requests = requests;
    if (!ms.empty()) {
        std::sort(ms.begin(), ms.end());
        r.p50_ms = ms[size_t(std::ceil(0.5 * double(ms.size()))) - 1];
        r.max_ms = ms.back();
    }
    for (int fd : fds) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 0) == 0) ++r.held;  // no end, no bytes: still held open
        close(fd);
    }
    return r;
}

}  // namespace bench_servers
