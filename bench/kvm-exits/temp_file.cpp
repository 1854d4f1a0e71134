#include "temp_file.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace ptv::bench {

namespace {

// The one temp file that exists at a time, for the signal handler (which may
// only unlink a path it can read without allocating).
char g_path[4096];

void on_signal(int sig) {
    if (g_path[0]) ::unlink(g_path);
    std::signal(sig, SIG_DFL);
    std::raise(sig);  // delivered when the handler returns
}

}  // namespace

TempFile::TempFile(const std::string& prefix, const std::string& suffix) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/{}-XXXXXX{}", dir && *dir ? dir : "/tmp", prefix, suffix);
    if (pattern.size() >= sizeof g_path)
        throw std::runtime_error(fmt::format("temp file path too long: {}", pattern));
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const int fd = ::mkstemps(buf.data(), int(suffix.size()));
    if (fd < 0)
        throw std::runtime_error(
            fmt::format("cannot create a temp file {}: {}", pattern, std::strerror(errno)));
    ::close(fd);
    path_ = buf.data();
    std::memcpy(g_path, path_.c_str(), path_.size() + 1);
}

TempFile::~TempFile() {
    ::unlink(path_.c_str());
    g_path[0] = '\0';
}

void remove_temp_file_on_signal() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace ptv::bench
