#include "temp_dir.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace ptv::bench {

namespace {

// The one temp dir that exists at a time and the files made in it, in
// buffers the signal handler can read without allocating.
constexpr size_t kMaxFiles = 8;
char g_dir[1024];
char g_files[kMaxFiles][1024];
volatile sig_atomic_t g_file_count = 0;

void on_signal(int sig) {
    for (int i = 0; i < g_file_count; ++i) ::unlink(g_files[i]);
    if (g_dir[0]) ::rmdir(g_dir);
    std::signal(sig, SIG_DFL);
    std::raise(sig);  // delivered when the handler returns
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
    const char* dir = std::getenv("TMPDIR");
    const std::string pattern = fmt::format("{}/{}-XXXXXX", dir && *dir ? dir : "/tmp", prefix);
    // Leaves room for a file name: a Unix socket path must fit in 108 bytes.
    if (pattern.size() + 16 >= 100)
        throw std::runtime_error(fmt::format("temp dir path too long: {}", pattern));
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        throw std::runtime_error(
            fmt::format("cannot create a temp dir {}: {}", pattern, std::strerror(errno)));
    path_ = buf.data();
    g_file_count = 0;
    std::memcpy(g_dir, path_.c_str(), path_.size() + 1);
}

TempDir::~TempDir() {
    g_dir[0] = '\0';
    g_file_count = 0;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name) {
    std::string p = path_ + "/" + name;
    if (g_file_count < int(kMaxFiles) && p.size() < sizeof g_files[0]) {
        std::memcpy(g_files[g_file_count], p.c_str(), p.size() + 1);
        g_file_count = g_file_count + 1;
    }
    return p;
}

void remove_temp_dir_on_signal() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace ptv::bench
