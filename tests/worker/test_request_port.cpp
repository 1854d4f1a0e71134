// The worker's front end for the host request ring, without KVM: the line
// protocol's parsing, the descriptor check ptv-vmwp makes before KVM, and
// a client on a socketpair whose requests a stand-in guest answers on a
// real HostRing -- bad lines answered at once, answers matched by ID, end
// of file, and a client that leaves with answers due.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "../devices/async_machine.hpp"
#include "../support/process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/portmap.h"
#include "ptv/worker/request_port.hpp"

using namespace ptv;
using worker::RequestPort;

namespace {

constexpr uint32_t kQueue = 0x10000;
constexpr uint32_t kAnswers = 0x40000;

uint32_t load(test::AsyncMachine& m, uint64_t gpa) {
    return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(&m.memory[gpa]))
        .load(std::memory_order_acquire);
}
void store(test::AsyncMachine& m, uint64_t gpa, uint32_t v) {
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(&m.memory[gpa]))
        .store(v, std::memory_order_release);
}

// A guest on its own thread that answers every request with its data
// upper-cased, as guests/hostring-echo.asm does.
struct EchoGuest {
    test::AsyncMachine& m;
    devices::HostRing& ring;
    uint32_t size;
    std::atomic<bool> stop{false};
    std::thread thread;

    EchoGuest(test::AsyncMachine& machine, devices::HostRing& r, uint32_t s)
        : m(machine), ring(r), size(s) {
        store(m, kQueue + PTV_HOSTRING_OFF_MAGIC, PTV_HOSTRING_MAGIC);
        store(m, kQueue + PTV_HOSTRING_OFF_SIZE, size);
        uint8_t b[4];
        std::memcpy(b, &kQueue, 4);
        REQUIRE_FALSE(ring.write(vmb::Space::Pio, 0, b));
        thread = std::thread([this] { serve(); });
    }
    ~EchoGuest() {
        stop = true;
        thread.join();
    }
    void serve() {
        while (!stop.load()) {
            uint32_t tail = load(m, kQueue + PTV_HOSTRING_OFF_REQ_TAIL);
            const uint32_t head = load(m, kQueue + PTV_HOSTRING_OFF_REQ_HEAD);
            if (tail == head) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                continue;
            }
            for (; tail != head; ++tail) {
                const uint64_t e =
                    kQueue + PTV_HOSTRING_OFF_REQ + (tail % size) * PTV_HOSTRING_REQ_SIZE;
                const uint32_t rh = load(m, kQueue + PTV_HOSTRING_OFF_RESP_HEAD);
                const uint32_t buffer = kAnswers + (rh % size) * 16;
                const uint32_t length = load(m, e + PTV_HOSTRING_REQ_LENGTH);
                for (uint32_t i = 0; i < length; ++i)
                    m.memory[buffer + i] =
                        uint8_t(std::toupper(m.memory[e + PTV_HOSTRING_REQ_DATA + i]));
                const uint64_t r = kQueue + PTV_HOSTRING_OFF_REQ + size * PTV_HOSTRING_REQ_SIZE +
                                   (rh % size) * PTV_HOSTRING_RESP_SIZE;
                store(m, r + PTV_HOSTRING_RESP_ID, load(m, e + PTV_HOSTRING_REQ_ID));
                store(m, r + PTV_HOSTRING_RESP_STATUS, PTV_HOSTRING_S_OK);
                store(m, r + PTV_HOSTRING_RESP_BUFFER, buffer);
                store(m, r + PTV_HOSTRING_RESP_LENGTH, length);
                store(m, kQueue + PTV_HOSTRING_OFF_RESP_HEAD, rh + 1);
            }
            store(m, kQueue + PTV_HOSTRING_OFF_REQ_TAIL, tail);
            uint8_t b[4] = {};
            REQUIRE_FALSE(ring.write(vmb::Space::Pio, 4, b));
        }
    }
};

struct Answer {
    std::string id;
    uint32_t status;
    std::string bytes;
    bool operator==(const Answer&) const = default;
};

// Reads `n` answers from the client's end (or fewer, at end of file or
// after 10 s).
std::vector<Answer> read_answers(int fd, size_t n) {
    std::vector<Answer> out;
    std::string buf;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
        const size_t nl = buf.find('\n');
        if (nl != std::string::npos) {
            char id[64];
            unsigned status = 0;
            size_t length = 0;
            REQUIRE(std::sscanf(buf.substr(0, nl).c_str(), "%63s %u %zu", id, &status, &length) ==
                    3);
            if (buf.size() >= nl + 1 + length) {
                out.push_back({id, status, buf.substr(nl + 1, length)});
                buf.erase(0, nl + 1 + length);
                continue;
            }
        }
        char chunk[512];
        const ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got <= 0) break;
        buf.append(chunk, size_t(got));
    }
    return out;
}

void send_all(int fd, const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size()));
}

}  // namespace

TEST_CASE("request port: a request line, and the lines it refuses") {
    auto good = worker::parse_request_line("17 GET index.html");
    CHECK(good.id == "17");
    REQUIRE(good.request);
    CHECK(good.request->op == PTV_HOSTRING_OP_GET);
    CHECK(good.request->data == "index.html");
    good = worker::parse_request_line("a-b  GET\t0123456789abcdef\r");
    CHECK(good.id == "a-b");
    REQUIRE(good.request);
    CHECK(good.request->data == "0123456789abcdef");
    const std::pair<const char*, const char*> bad[] = {
        {"", "-"},
        {"   ", "-"},
        {"5", "5"},
        {"5 GET", "5"},
        {"5 PUT x", "5"},
        {"5 get x", "5"},
        {"5 GET 0123456789abcdefg", "5"},  // 17 bytes
        {"5 GET a b", "5"},
        {"5 GET na\x01me", "5"},
        {"012345678901234567890123456789012 GET x", "-"},  // an ID of 33 bytes
    };
    for (const auto& [line, id] : bad) {
        CAPTURE(line);
        const auto r = worker::parse_request_line(line);
        CHECK_FALSE(r.request);
        CHECK(r.id == id);
    }
    CHECK(worker::format_answer("9", 0, {'A', 'B', '\n'}) == "9 0 3\nAB\n");
    CHECK(worker::format_answer("x", 2, {}) == "x 2 0\n");
}

TEST_CASE("request port: --requests-fd must be an open stream socket") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK_NOTHROW(RequestPort::check(sv[0]));
    int dg[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg) == 0);
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    auto message = [](int fd) {
        try {
            RequestPort::check(fd);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    CHECK(message(pipe_fds[0]) == "--requests-fd " + std::to_string(pipe_fds[0]) +
                                      " is not a stream socket; give a connected stream socket "
                                      "this worker inherits (one end of a socketpair)");
    CHECK(message(dg[0]).find("is not a stream socket") != std::string::npos);
    CHECK(message(-1) ==
          "--requests-fd -1 is not an open descriptor; give a connected stream "
          "socket this worker inherits (one end of a socketpair)");
    const int closed = pipe_fds[1];
    ::close(closed);
    CHECK(message(closed).find("is not an open descriptor") != std::string::npos);
    for (int fd : {sv[0], sv[1], dg[0], dg[1], pipe_fds[0]}) ::close(fd);
}

TEST_CASE("ptv-vmwp --requests-fd that is no socket: one line, status 2, before KVM") {
    const std::string image = test::guest("hostring-echo");
    for (const std::string fd : {"99", "0"}) {  // not open; a pipe (the input)
        CAPTURE(fd);
        const auto r = test::run({test::bin("ptv-vmwp"), image, "--requests-fd", fd}, {}, 30, "");
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.starts_with("ptv-vmwp: --requests-fd " + fd + " is not "));
    }
}

TEST_CASE("request port: requests answered by ID, bad lines at once, end of file") {
    test::AsyncMachine m;
    devices::HostRing ring(m);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    {
        RequestPort port(sv[1], ring);  // it owns sv[1] now
        // Sent before the guest is there: they wait in the ring's FIFO;
        // the bad lines are answered at once, in order.
        send_all(sv[0], "1 GET alpha\n2 PUT beta\n\n3 GET 0123456789abcdefXYZ\n");
        std::string long_line(300, 'z');
        send_all(sv[0], long_line + "\n4 GET gamma\r\n");
        auto early = read_answers(sv[0], 4);
        CHECK(early == std::vector<Answer>{{"2", 2, ""}, {"-", 2, ""}, {"3", 2, ""}, {"-", 2, ""}});
        EchoGuest guest(m, ring, 4);
        auto answers = read_answers(sv[0], 2);
        CHECK(answers == std::vector<Answer>{{"1", 0, "ALPHA"}, {"4", 0, "GAMMA"}});
        // 40 more from one client, then end of file: the port stops reading
        // but the answers still come.
        std::string many;
        for (int i = 0; i < 40; ++i)
            many += "r" + std::to_string(i) + " GET n" + std::to_string(i) + "\n";
        send_all(sv[0], many);
        ::shutdown(sv[0], SHUT_WR);
        answers = read_answers(sv[0], 40);
        REQUIRE(answers.size() == 40);
        for (int i = 0; i < 40; ++i)
            CHECK(answers[i] == Answer{"r" + std::to_string(i), 0, "N" + std::to_string(i)});
        // The count follows the last write, which the client may read first.
        for (int spin = 0; port.stats().answers < 46 && spin < 2000; ++spin)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const auto s = port.stats();
        CHECK(s.requests == 42);
        CHECK(s.bad_lines == 4);
        CHECK(s.answers == 46);
        CHECK(ring.stats().max_outstanding <= 4);
    }
    // The port closed its end: the client reads end of file.
    char c;
    CHECK(::read(sv[0], &c, 1) == 0);
    ::close(sv[0]);
}

TEST_CASE("request port: a client that leaves with answers due costs nothing but them") {
    test::AsyncMachine m;
    devices::HostRing ring(m);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    RequestPort port(sv[1], ring);
    std::string many;
    for (int i = 0; i < 20; ++i) many += std::to_string(i) + " GET x\n";
    send_all(sv[0], many);
    for (int spin = 0; port.stats().requests < 20 && spin < 2000; ++spin)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(port.stats().requests == 20);
    ::close(sv[0]);  // gone before any answer
    {
        EchoGuest guest(m, ring, 8);
        for (int spin = 0; ring.stats().responses < 20 && spin < 5000; ++spin)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Every answer was taken from the guest; none reached anyone, and the
    // process is still here (no SIGPIPE).
    CHECK(ring.stats().responses == 20);
    CHECK(port.stats().answers == 0);
}
