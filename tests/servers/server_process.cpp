#include "server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "ptv/common/clock.hpp"
#include "ptv/common/read_until.hpp"

namespace fs = std::filesystem;

namespace ptv::test {

const std::vector<std::string>& server_architectures() {
    static const std::vector<std::string> all = {"iterative",
                                                 "thread-per-connection",
                                                 "dispatcher-worker",
                                                 "process-per-connection",
                                                 "prefork",
                                                 "fsm",
                                                 "fibers"};
    return all;
}

namespace {

void write_file(const std::string& path, std::string_view text) {
    std::ofstream f(path, std::ios::binary);
    f.write(text.data(), std::streamsize(text.size()));
}

}  // namespace

ServedTree::ServedTree() {
    root = dir.file("root");
    fs::create_directories(root + "/sub");
    write_file(root + "/index.html", "<h1>ptvlab</h1>\n");
    write_file(root + "/small.txt", kSmallText);
    write_file(root + "/with space.txt", "spaced\n");
    std::string big(kBigBytes, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('A' + i % 26);
    write_file(root + "/big.bin", big);
    write_file(root + "/sub/a.txt", "a\n");
    mkfifo((root + "/fifo").c_str(), 0644);
    write_file(dir.file("outside.txt"), "outside\n");
    fs::create_symlink("../outside.txt", root + "/up");
    fs::create_symlink("/etc/passwd", root + "/passwd");
}

ServerProcess::ServerProcess(std::vector<std::string> args, double start_timeout_s) {
    std::vector<std::string> argv = {bin("ptv"), "servers", "run", "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_ = fork();
    if (pid_ == 0) {
        setpgid(0, 0);  // its own group: the destructor can kill children it forked
        dup2(out[1], 1);
        dup2(out[1], 2);
        std::vector<char*> a;
        for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        execv(a[0], a.data());
        _exit(127);
    }
    setpgid(pid_, pid_);
    close(out[1]);
    out_fd_ = out[0];
    // Wait for the first line: "ptv servers: ARCH ... on http://127.0.0.1:PORT/ ...".
    std::string text;
    read_until(out_fd_, text, start_timeout_s, has_line);
    first_line_ = text.substr(0, text.find('\n'));
    output_ = text;
    size_t at = first_line_.find("127.0.0.1:");
    if (at == std::string::npos) at = first_line_.find("0.0.0.0:");
    if (at != std::string::npos)
        port_ = std::atoi(first_line_.c_str() + first_line_.find(':', at) + 1);
    INFO("server said: " << text);
    REQUIRE(port_ > 0);
}

void ServerProcess::drain(double timeout_s) {
    read_until(out_fd_, output_, timeout_s, never);
}

int ServerProcess::stop(int sig, double timeout_s) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    int status = 0;
    pid_t got = 0;
    while ((got = waitpid(pid_, &status, WNOHANG)) == 0 && now_ns() < deadline) {
        drain(0.02);
    }
    if (got != pid_) return -1;  // the destructor kills it
    pid_ = -1;
    drain(1);
    close(out_fd_);
    out_fd_ = -1;
    // Under ASan/UBSan/TSan builds, a report is a failure even if the
    // server went on (UBSan, by default, does).
    if (!out_of_descriptors_) {
        CHECK_MESSAGE(output_.find("Sanitizer") == std::string::npos, output_);
        CHECK_MESSAGE(output_.find("runtime error:") == std::string::npos, output_);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
}

int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        bytes.remove_prefix(size_t(n));
    }
}

std::optional<servers::http::Response> read_response(int fd, std::string& buffer, bool head,
                                                     double timeout_s) {
    using P = servers::http::ResponseParser;
    P parser(head);
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    auto feed = [&]() -> std::optional<P::Status> {
        auto out = parser.feed(buffer);
        if (out.status == P::Status::NeedMore) {
            buffer.clear();
            return std::nullopt;
        }
        buffer.erase(0, out.consumed);
        return out.status;
    };
    if (!buffer.empty()) {
        if (auto s = feed()) {
            if (*s == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
    }
    while (now_ns() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0) {
            if (parser.finish() == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
        if (n < 0) return std::nullopt;
        buffer.append(buf, size_t(n));
        if (auto s = feed()) {
            if (*s == P::Status::Complete) return parser.response();
            return std::nullopt;
        }
    }
    return std::nullopt;
}

bool closed_by_peer(int fd, double timeout_s) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    while (now_ns() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        if (n > 0) return false;  // it sent something instead
    }
    return false;
}

std::optional<servers::http::Response> exchange(int port, std::string_view request, bool head) {
    int fd = connect_to(port);
    if (fd < 0) return std::nullopt;
    send_all(fd, request);
    std::string buffer;
    auto r = read_response(fd, buffer, head);
    close(fd);
    return r;
}

std::string get_request(std::string_view path, std::string_view extra, std::string_view method) {
    std::string r;
    r.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: test\r\n");
    r.append(extra);
    r.append("\r\n");
    return r;
}

int many_concurrent_requests(int port, int n, double timeout_s) {
    using P = servers::http::ResponseParser;
    struct Conn {
        int fd = -1;
        bool sent = false, done = false;
        std::unique_ptr<P> parser;
    };
    const std::string request = get_request("/small.txt");
    std::vector<Conn> conns(static_cast<size_t>(n));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int answered = 0, finished = 0, opened = 0;
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    std::vector<epoll_event> events(1024);
    // Connections are opened in waves of 2,000 (half the kernel's default
    // accept backlog, net.core.somaxconn = 4096), each wave answered before
    // the next, all kept open: what is tested is the server, not how the
    // kernel drops SYNs when the backlog overflows.
    constexpr int kWave = 2000;
    while (finished < n && now_ns() < deadline) {
        if (finished == opened) {
            for (int w = 0; w < kWave && opened < n; ++w, ++opened) {
                Conn& c = conns[size_t(opened)];
                c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (c.fd < 0) {
                    c.done = true;
                    ++finished;
                    continue;
                }
                connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // EINPROGRESS
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
                ev.data.u32 = uint32_t(opened);
                epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
            }
        }
        int k = epoll_wait(ep, events.data(), int(events.size()), 100);
        for (int e = 0; e < k; ++e) {
            Conn& c = conns[events[size_t(e)].data.u32];
            if (c.done) continue;
            if (!c.sent && (events[size_t(e)].events & EPOLLOUT)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {  // refused or reset: count as unanswered
                    c.done = true;
                    ++finished;
                    continue;
                }
                send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
                c.sent = true;
                c.parser = std::make_unique<P>();
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u32 = events[size_t(e)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            if (!c.sent) continue;
            char buf[4096];
            ssize_t got = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0 && errno == EAGAIN) continue;
            bool complete = false;
            if (got > 0) {
                complete = c.parser->feed({buf, size_t(got)}).status == P::Status::Complete;
            } else {
                complete = c.parser->finish() == P::Status::Complete;
            }
            if (complete || got <= 0) {
                if (complete && c.parser->response().status == 200 &&
                    c.parser->response().body == ServedTree::kSmallText)
                    ++answered;
                c.done = true;
                ++finished;
                epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);  // but keep it open
            }
        }
    }
    for (auto& c : conns)
        if (c.fd >= 0) close(c.fd);
    close(ep);
    return answered;
}

double cpu_seconds(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close_paren = text.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream in(text.substr(close_paren + 2));
    std::string field;
    // Fields after the name: 3 state ... 14 utime, 15 stime (1-based in proc(5)).
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / double(sysconf(_SC_CLK_TCK));
}

int raise_fd_limit() {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return int(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
}

bool sanitized_build() {
#ifdef PTV_SANITIZED
    return true;
#else
    return false;
#endif
}

}  // namespace ptv::test
