#include "processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/read_until.hpp"
#include "ptv/servers/http/request.hpp"
#include "ptv/servers/load/process_tree.hpp"

namespace bench_servers {

namespace fs = std::filesystem;
using ptv::now_ns;

Child::Child(const std::vector<std::string>& argv, bool capture) {
    int out[2] = {-1, -1};
    if (capture && pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(capture ? out[1] : null, 1);
        std::vector<char*> a;
        for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        execv(a[0], a.data());
        _exit(127);
    }
    setpgid(pid_, pid_);
    if (capture) {
        close(out[1]);
        out_ = out[0];
    }
}

Child::~Child() {
    if (pid_ > 0) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
}

std::string Child::first_line(double timeout_s) {
    ptv::read_until(out_, buffered_, timeout_s, ptv::has_line);
    return buffered_.substr(0, buffered_.find('\n'));
}

std::string Child::read_all(double timeout_s) {
    ptv::read_until(out_, buffered_, timeout_s, ptv::never);
    return buffered_;
}

bool Child::stop(int sig, double timeout_s) {
    if (pid_ <= 0) return true;
    kill(pid_, sig);
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    int status = 0;
    while (now_ns() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            kill(-pid_, SIGKILL);  // anything it left in its group
            pid_ = -1;
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        usleep(5000);
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return false;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/bench-servers-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    path = tmpl;
    // nginx's workers may run as another user: let them in.
    chmod(path.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

bool wait_listening(int port, double timeout_s) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    while (now_ns() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(uint16_t(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(fd);
        if (ok) return true;
        usleep(20000);
    }
    return false;
}

std::string which(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    dirs += ":/usr/sbin:/sbin";  // nginx lives in sbin
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        std::string dir =
            dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::string full = dir + "/" + name;
        if (!dir.empty() && access(full.c_str(), X_OK) == 0) return full;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return "";
}

namespace {

// "1.23ms", "456.00us", "2.00s" -> milliseconds.
double wrk_time_ms(const std::string& text) {
    double v = std::atof(text.c_str());
    if (text.find("us") != std::string::npos) return v / 1000;
    if (text.find("ms") != std::string::npos) return v;
    if (text.find('m') != std::string::npos) return v * 60000;  // minutes
    if (text.find('s') != std::string::npos) return v * 1000;
    return v;
}

}  // namespace

WrkResult run_wrk(const std::string& wrk, const std::string& url, int connections,
                  double duration_s, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {wrk, "-t1", "-c" + std::to_string(connections),
                                     "-d" + std::to_string(int(duration_s + 0.5)) + "s",
                                     "--latency"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    Child c(argv, true);
    WrkResult r;
    r.raw = c.read_all(duration_s + 30);
    c.stop(SIGTERM, 5);
    std::smatch m;
    if (std::regex_search(r.raw, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
        r.requests_per_s = std::stod(m[1]);
        r.ok = true;
    }
    if (std::regex_search(r.raw, m, std::regex(R"((\d+) requests in)")))
        r.requests = std::stoull(m[1]);
    if (std::regex_search(r.raw, m, std::regex(R"(50%\s+([0-9.]+\w+))")))
        r.p50_ms = wrk_time_ms(m[1]);
    if (std::regex_search(r.raw, m, std::regex(R"(90%\s+([0-9.]+\w+))")))
        r.p90_ms = wrk_time_ms(m[1]);
    if (std::regex_search(r.raw, m, std::regex(R"(99%\s+([0-9.]+\w+))")))
        r.p99_ms = wrk_time_ms(m[1]);
    if (std::regex_search(r.raw, m,
                          std::regex(R"(connect (\d+), read (\d+), write (\d+), timeout (\d+))")))
        r.errors = std::stoull(m[1]) + std::stoull(m[2]) + std::stoull(m[3]) + std::stoull(m[4]);
    if (std::regex_search(r.raw, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))")))
        r.non_2xx = std::stoull(m[1]);
    return r;
}

Nginx::Nginx(const std::string& nginx, const std::string& dir, const std::string& root, int port,
             int workers) {
    fs::create_directories(dir + "/tmp");
    const std::string conf = dir + "/nginx.conf";
    std::ofstream f(conf);
    // Like our servers: no access log, keep-alive without a request limit,
    // files served from the page cache with sendfile, and open descriptors
    // of the files kept (the fsm serves from a cache of its own too).
    f << fmt::format(
        "daemon off;\nmaster_process on;\nworker_processes {};\n{}pid {}/nginx.pid;\n"
        "error_log {}/error.log warn;\nworker_rlimit_nofile 40000;\n"
        "events {{ worker_connections 20000; }}\n"
        "http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  tcp_nodelay on;\n"
        "  keepalive_timeout 60;\n  keepalive_requests 100000000;\n"
        "  open_file_cache max=1000 inactive=60s;\n  open_file_cache_valid 60s;\n"
        "  client_body_temp_path {}/tmp/body;\n  proxy_temp_path {}/tmp/proxy;\n"
        "  fastcgi_temp_path {}/tmp/fastcgi;\n  uwsgi_temp_path {}/tmp/uwsgi;\n"
        "  scgi_temp_path {}/tmp/scgi;\n"
        "  types {{ text/html html; text/plain txt; }}\n"
        "  default_type application/octet-stream;\n"
        "  server {{ listen 127.0.0.1:{}; root {}; }}\n}}\n",
        workers, geteuid() == 0 ? "user root;\n" : "", dir, dir, dir, dir, dir, dir, dir, port,
        root);
    f.close();
    child_ = new Child({nginx, "-p", dir, "-c", conf, "-e", dir + "/error.log"}, false);
    ok_ = wait_listening(port, 5);
}

Nginx::~Nginx() {
    if (child_) child_->stop(SIGQUIT, 5);  // graceful: the master stops its workers
    delete child_;
}

pid_t Nginx::pid() const {
    return child_ ? child_->pid() : -1;
}

uint64_t tree_rss(pid_t pid) {
    return ptv::servers::load::tree_usage(pid).rss_bytes;
}

int IdleConnections::open(int port, const std::string& path, int n, double timeout_s) {
    using P = ptv::servers::http::ResponseParser;
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n";
    int ep = epoll_create1(EPOLL_CLOEXEC);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct Conn {
        int fd;
        bool sent = false, done = false;
        std::unique_ptr<P> parser;
    };
    std::vector<Conn> conns;
    for (int i = 0; i < n; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u32 = uint32_t(conns.size());
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        conns.push_back({fd, false, false, nullptr});
        fds_.push_back(fd);
    }
    int ok = 0;
    size_t finished = 0;
    const uint64_t deadline = now_ns() + uint64_t(timeout_s * 1e9);
    std::vector<epoll_event> events(1024);
    while (finished < conns.size() && now_ns() < deadline) {
        int k = epoll_wait(ep, events.data(), int(events.size()), 100);
        for (int e = 0; e < k; ++e) {
            Conn& c = conns[events[size_t(e)].data.u32];
            if (c.done) continue;
            if (!c.sent) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    c.done = true;
                    ++finished;
                    continue;
                }
                send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
                c.sent = true;
                c.parser = std::make_unique<P>();
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = events[size_t(e)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            char buf[4096];
            ssize_t got = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0 && errno == EAGAIN) continue;
            bool complete =
                got > 0 && c.parser->feed({buf, size_t(got)}).status == P::Status::Complete;
            if (complete || got <= 0) {
                if (complete && c.parser->response().status == 200) ++ok;
                c.done = true;
                ++finished;
                epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
            }
        }
    }
    close(ep);
    return ok;
}

void IdleConnections::close_all() {
    for (int fd : fds_) close(fd);
    fds_.clear();
}

std::string ptv_beside() {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    const std::string self = n > 0 ? std::string(buf, size_t(n)) : "";
    return self.substr(0, self.rfind('/') + 1) + "ptv";
}

void progress(const std::string& what) {
    if (::isatty(2)) std::fprintf(stderr, "\r\033[K%s", what.c_str());
}

int port_in(const std::string& line) {
    const size_t at = line.find("127.0.0.1:");
    return at == std::string::npos ? -1 : std::atoi(line.c_str() + at + 10);
}

std::string ratio(double a, double b) {
    return b > 0 ? fmt::format("{:.2f}x", a / b) : "-";
}

std::string ms(double v) {
    return ptv::human_ns(v * 1e6);
}

std::vector<std::string> split_names(const std::string& list,
                                     const std::vector<std::string>& allowed,
                                     const std::string& option, const std::string& kind) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= list.size()) {
        const size_t end = list.find(',', start);
        const std::string name = list.substr(start, end == std::string::npos ? end : end - start);
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            std::string names;
            for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
            throw ptv::UsageError(
                fmt::format("{} {}: no {} '{}'; give a comma-separated list of {}", option, list,
                            kind, name, names));
        }
        out.push_back(name);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

}  // namespace bench_servers
