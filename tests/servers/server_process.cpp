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

ServerProcess::ServerProcess(std::vector<std::string> args, double start_timeout_s) {
    std::vector<std::string> argv = {bin("ptv"), "servers", "run", "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    start(std::move(argv), start_timeout_s);
}

ServerProcess::ServerProcess(Ptv command, double start_timeout_s) {
    std::vector<std::string> argv = {bin("ptv")};
    argv.insert(argv.end(), command.argv.begin(), command.argv.end());
    start(std::move(argv), start_timeout_s);
}

void ServerProcess::start(std::vector<std::string> argv, double start_timeout_s) {
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
