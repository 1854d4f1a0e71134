#include "background.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace ptv::test {

namespace {
std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

Background::Background(const std::vector<std::string>& argv, const TempDir& dir,
                       const std::string& tag)
    : out_path_(dir.file(tag + ".out")), err_path_(dir.file(tag + ".err")) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
}

Background::~Background() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

std::string Background::out() const {
    return slurp(out_path_);
}
std::string Background::err() const {
    return slurp(err_path_);
}

bool Background::wait_err(const std::string& text, double timeout_s) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
        if (err().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

int Background::wait(double timeout_s) {
    if (status_ >= 0 || pid_ <= 0) return status_;
    const auto start = std::chrono::steady_clock::now();
    const auto waited = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    int ws = 0;
    bool timed_out = false;
    for (;;) {
        const pid_t r = ::waitpid(pid_, &ws, WNOHANG);
        if (r == pid_ || (r < 0 && errno != EINTR)) break;
        if (!timed_out && waited() > timeout_s) {
            FAIL_CHECK("'" << out_path_ << "' still ran after " << timeout_s << " s; stopped it");
            timed_out = true;
            ::kill(pid_, SIGTERM);
        } else if (timed_out && waited() > timeout_s + 5) {
            ::kill(pid_, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    status_ = timed_out ? 124 : WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return status_;
}

uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

Proxy::Proxy(uint16_t target, uint64_t cut_after, double bytes_per_s, bool armed,
             const std::string& listen_ip, const std::string& target_ip)
    : target_(target), cut_after_(cut_after), rate_(bytes_per_s) {
    armed_ = armed;
    REQUIRE(::inet_pton(AF_INET, target_ip.c_str(), &target_ip_) == 1);
    ::signal(SIGPIPE, SIG_IGN);  // a side that went away is what we test
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    REQUIRE(::inet_pton(AF_INET, listen_ip.c_str(), &a.sin_addr) == 1);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
}

Proxy::~Proxy() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
}

void Proxy::run() {
    pollfd lp{listen_fd_, POLLIN, 0};
    while (!stop_ && ::poll(&lp, 1, 50) <= 0) {
    }
    if (stop_) return;
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr = target_ip_;
    a.sin_port = htons(target_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        ::close(client);
        ::close(server);
        return;
    }
    char buf[16384];
    const auto t0 = std::chrono::steady_clock::now();
    bool cut = false;
    while (!stop_ && !cut) {
        pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (frozen_) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        if (::poll(p, 2, 50) <= 0) continue;
        if (p[0].revents) {
            size_t want = sizeof buf;
            if (rate_ > 0) want = 4096;
            ssize_t n = ::read(client, buf, want);
            if (n <= 0) break;
            forwarded_ += uint64_t(n);
            if (::write(server, buf, size_t(n)) != n) break;
            if (armed_ && forwarded_ >= cut_after_) cut = true;
            if (rate_ > 0) {
                const double due = double(forwarded_.load()) / rate_;
                const auto at = t0 + std::chrono::duration<double>(due);
                while (!stop_ && std::chrono::steady_clock::now() < at)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
        if (p[1].revents) {
            ssize_t n = ::read(server, buf, sizeof buf);
            if (n <= 0) break;
            if (::write(client, buf, size_t(n)) != n) break;
        }
    }
    // A reset, not a polite close: the network path is gone.
    linger l{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::setsockopt(server, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(client);
    ::close(server);
}

}  // namespace ptv::test
