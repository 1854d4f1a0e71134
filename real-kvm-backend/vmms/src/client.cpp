#include "ptv/vmms/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ptv/common/error.hpp"

namespace ptv::vmms {

namespace {
std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
}
}  // namespace

std::string default_socket_path() {
    if (auto p = env("PTV_VMMS_SOCKET"); !p.empty()) return p;
    if (::geteuid() == 0) return "/run/ptvlab/vmms.sock";
    if (auto r = env("XDG_RUNTIME_DIR"); !r.empty()) return r + "/ptvlab/vmms.sock";
    return fmt::format("/tmp/ptvlab-{}/vmms.sock", ::geteuid());
}

std::string default_state_dir() {
    if (auto p = env("PTV_VMMS_STATE_DIR"); !p.empty()) return p;
    if (::geteuid() == 0) return "/var/lib/ptvlab";
    if (auto s = env("XDG_STATE_HOME"); !s.empty()) return s + "/ptvlab";
    return env("HOME") + "/.local/state/ptvlab";
}

Client::Client(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw UsageError(fmt::format("socket path '{}' is too long for a Unix socket", path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        const int err = errno;
        if (fd_ >= 0) ::close(fd_);
        throw UsageError(fmt::format(
            "no vmms service at {} ({}); start one with 'ptv vmms start' (or set PTV_VMMS_SOCKET)",
            path, std::strerror(err)));
    }
    reader_ = worker::MessageReader(fd_);
}

Client::~Client() {
    if (fd_ >= 0) ::close(fd_);
}

void Client::send(const nlohmann::json& message) {
    worker::send_message(fd_, message);
}

nlohmann::json Client::request(const nlohmann::json& req) {
    send(req);
    nlohmann::json reply;
    if (!reader_.next(reply))
        return {{"ok", false}, {"status", 1}, {"error", "the vmms service closed the connection"}};
    return reply;
}

}  // namespace ptv::vmms
