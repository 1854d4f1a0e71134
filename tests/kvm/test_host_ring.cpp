// The guest as a server on real KVM: ptv-vmwp runs hostring-echo with the
// test as its clients on a socketpair (--requests-fd), the way `ptv
// servers kvm` drives a server guest. Four client threads keep 100
// requests out at once on a ring of 8 (the rest wait in the host's FIFO);
// every answer is checked byte for byte, under each dispatch strategy; a
// client that leaves mid-way costs the worker nothing.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../support/process.hpp"

using namespace ptv::test;

namespace {

// ptv-vmwp with one end of a socketpair as its --requests-fd; its JSON
// result on a pipe.
struct Worker {
    pid_t pid = -1;
    int requests = -1;  // the clients' end
    int out = -1;       // the worker's standard output

    explicit Worker(const std::vector<std::string>& extra) {
        int sv[2], pipe_fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
        std::vector<std::string> args = {bin("ptv-vmwp"), guest("hostring-echo"),
                                         "--requests-fd", std::to_string(sv[1]),
                                         "--no-input",    "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::fcntl(sv[1], F_SETFD, 0);  // the worker inherits its end
            ::dup2(pipe_fds[1], 1);
            const int null = ::open("/dev/null", O_RDWR);
            ::dup2(null, 2);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(sv[1]);
        ::close(pipe_fds[1]);
        requests = sv[0];
        out = pipe_fds[0];
    }
    ~Worker() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (requests >= 0) ::close(requests);
        if (out >= 0) ::close(out);
    }
    // Reads the result to end of file and reaps the worker.
    std::pair<int, nlohmann::json> finish() {
        std::string text;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(out, buf, sizeof buf)) > 0) text.append(buf, size_t(n));
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return {code, nlohmann::json::parse(text, nullptr, false)};
    }
};

// The clients' side of the socket: lines out under a mutex, answers in on
// a reader thread, filed by ID.
struct Clients {
    int fd;
    std::mutex lock, send_lock;
    std::condition_variable changed;
    struct Answer {
        unsigned status;
        std::string bytes;
    };
    std::map<std::string, Answer> answers;
    bool eof = false;
    std::thread reader;

    explicit Clients(int f) : fd(f) {
        reader = std::thread([this] { read_loop(); });
    }
    ~Clients() {
        ::shutdown(fd, SHUT_RDWR);
        reader.join();
    }
    void read_loop() {
        std::string buf;
        char chunk[4096];
        for (;;) {
            const ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n <= 0) break;
            buf.append(chunk, size_t(n));
            for (;;) {
                const size_t nl = buf.find('\n');
                if (nl == std::string::npos) break;
                char id[64];
                unsigned status = 0;
                size_t length = 0;
                if (std::sscanf(buf.substr(0, nl).c_str(), "%63s %u %zu", id, &status, &length) !=
                    3)
                    break;
                if (buf.size() < nl + 1 + length) break;
                std::lock_guard l(lock);
                answers[id] = {status, buf.substr(nl + 1, length)};
                buf.erase(0, nl + 1 + length);
                changed.notify_all();
            }
        }
        std::lock_guard l(lock);
        eof = true;
        changed.notify_all();
    }
    void send(const std::string& line) {
        std::lock_guard l(send_lock);  // one whole line at a time
        REQUIRE(::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == ssize_t(line.size()));
    }
    // Waits (at most 60 s, or until end of file) until `ids` are all
    // answered; whether they are.
    bool wait_for(const std::vector<std::string>& ids) {
        std::unique_lock l(lock);
        auto all = [&] {
            for (const auto& id : ids)
                if (!answers.count(id)) return false;
            return true;
        };
        changed.wait_for(l, std::chrono::seconds(60), [&] { return eof || all(); });
        return all();
    }
};

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    return s;
}

}  // namespace

TEST_CASE(
    "hostring-echo: 100 requests from 4 clients, every answer its own, under each "
    "strategy") {
    for (const std::string dispatch : {"inline", "pool:4", "event"}) {
        CAPTURE(dispatch);
        Worker w({"--dispatch", dispatch, "--timeout", "60"});
        std::map<std::string, std::string> asked;  // ID -> name
        {
            Clients clients(w.requests);
            std::vector<std::thread> threads;
            std::vector<std::vector<std::string>> ids(4);
            for (int c = 0; c < 4; ++c)
                for (int i = 0; i < 25; ++i) {
                    const std::string id = "c" + std::to_string(c) + "." + std::to_string(i);
                    ids[c].push_back(id);
                    // Names of 1 to 16 bytes, mixed case, digits and marks.
                    asked[id] = std::string("Ab-z" + std::to_string(c * 1000 + i) + "_q")
                                    .substr(0, size_t(1 + (c * 25 + i) % 16));
                }
            std::atomic<int> bad{0};
            for (int c = 0; c < 4; ++c)
                threads.emplace_back([&, c] {
                    for (const auto& id : ids[c]) clients.send(id + " GET " + asked.at(id) + "\n");
                    if (!clients.wait_for(ids[c])) ++bad;
                });
            for (auto& t : threads) t.join();
            CHECK(bad.load() == 0);
            {
                std::lock_guard l(clients.lock);
                CHECK(clients.answers.size() == 100);
                for (const auto& [id, name] : asked) {
                    CAPTURE(id);
                    REQUIRE(clients.answers.count(id));
                    CHECK(clients.answers[id].status == 0);
                    CHECK(clients.answers[id].bytes == upper(name));
                }
            }
            // A bad line is answered at once by the worker, not the guest.
            clients.send("oops PUT x\n");
            CHECK(clients.wait_for({"oops"}));
            clients.send("end GET quit\n");
            // The guest waits until the host has taken its last answer
            // before it ends, so the quit's answer is not lost either.
            CHECK(clients.wait_for({"end"}));
            std::lock_guard l(clients.lock);
            CHECK(clients.answers["oops"].status == 2);
            CHECK(clients.answers["end"].bytes == "QUIT");
        }
        const auto [status, r] = w.finish();
        CHECK(status == 0);
        REQUIRE(r.is_object());
        CHECK(r["outcome"] == "guest-exit");
        CHECK(r["serial"] ==
              "hostring-echo: ring 8\n"
              "hostring-echo: 101 requests\n");
        const auto& ring = r["io"]["host_ring"];
        CHECK(ring["requests"] == 101);
        CHECK(ring["responses"] == 101);
        CHECK(ring["errors"] == 0);
        // 100 sent at once, never more than the ring's 8 on it; the rest
        // waited on the host and none was lost.
        CHECK(ring["max_outstanding"].get<unsigned>() >= 1);
        CHECK(ring["max_outstanding"].get<unsigned>() <= 8);
        // One OUT binds the queue; the doorbell is an exit too, unless the
        // host took it as an ioeventfd.
        uint64_t host_ring_exits = 0, doorbells = 0;
        for (const auto& d : r["exits"]["by_device"])
            if (d["device"] == "host-ring") {
                host_ring_exits = d["count"];
                doorbells = d.value("doorbells", 0ull);
            }
        if (r["io"]["ioeventfd"] == true) {
            CHECK(host_ring_exits == 1);
            CHECK(doorbells >= 1);
        } else {
            CHECK(host_ring_exits >= 2);
            CHECK(doorbells == 0);
        }
    }
}

TEST_CASE(
    "hostring-echo: a client that leaves mid-way, and the worker serves on and stops cleanly") {
    Worker w({"--dispatch", "pool:4", "--timeout", "60"});
    {
        std::string lines;
        for (int i = 0; i < 50; ++i)
            lines += std::to_string(i) + " GET name" + std::to_string(i) + "\n";
        REQUIRE(::send(w.requests, lines.data(), lines.size(), MSG_NOSIGNAL) ==
                ssize_t(lines.size()));
        char first[8];
        REQUIRE(::read(w.requests, first, sizeof first) > 0);  // the answers have begun
        ::close(w.requests);                                   // gone, with answers due
        w.requests = -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // Still serving (no SIGPIPE): stopped on request, with its result.
    REQUIRE(::kill(w.pid, 0) == 0);
    const pid_t pid = w.pid;
    REQUIRE(::kill(pid, SIGTERM) == 0);
    const auto [status, r] = w.finish();
    REQUIRE(r.is_object());
    CHECK(r["outcome"] == "stopped");
    CHECK(r["serial"] == "hostring-echo: ring 8\n");
    CHECK(r["io"]["host_ring"]["responses"] == 50);
    CHECK(::kill(pid, 0) == -1);  // reaped: nothing left behind
    CHECK(children_of(::getpid()).empty());
}

TEST_CASE("hostring-echo: a worker killed with requests out, and its clients see end of file") {
    Worker w({"--dispatch", "event", "--timeout", "60"});
    Clients clients(w.requests);
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        ids.push_back("k" + std::to_string(i));
        clients.send(ids.back() + " GET x" + std::to_string(i) + "\n");
    }
    REQUIRE(clients.wait_for(ids));  // it is serving
    clients.send("late GET y\n");
    const pid_t pid = w.pid;
    REQUIRE(::kill(pid, SIGKILL) == 0);
    // End of file, not a hang, for the clients still waiting.
    CHECK_FALSE(clients.wait_for({"late", "never"}));
    {
        std::lock_guard l(clients.lock);
        CHECK(clients.eof);
    }
    const auto [status, r] = w.finish();
    CHECK(status == 128 + SIGKILL);
    CHECK(::kill(pid, 0) == -1);
    CHECK(children_of(::getpid()).empty());
}

TEST_CASE("fault-hostring-bad-ring: made-up indices end the run, on the exit path and off it") {
    for (const std::string dispatch : {"inline", "event"}) {
        CAPTURE(dispatch);
        const auto c = run({bin("ptv"), "kvm", "run", "fault-hostring-bad-ring", "--dispatch",
                            dispatch, "--timeout", "20", "--json"},
                           {}, 60);
        const auto r = nlohmann::json::parse(c.out, nullptr, false);
        REQUIRE(r.is_object());
        CHECK(r["outcome"] == "device-error");
        CHECK(c.status == 7);
        CHECK(r["message"].get<std::string>().starts_with(
            "host-ring: bad ring indices in the queue at 0x301000: req_tail 0 leaves 0 of the "
            "host's 0 requests untaken, resp_head 1000 claims 1000 responses"));
    }
}
