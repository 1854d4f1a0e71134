#include "qmp.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ptv/common/clock.hpp"

namespace ptv::bench {

namespace {

uint64_t deadline_after(double seconds) {
    return now_ns() + uint64_t(seconds * 1e9);
}

}  // namespace

Qmp::Qmp(const std::string& socket_path, double timeout_s) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        throw std::runtime_error(fmt::format("QMP socket path too long: {}", socket_path));
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const uint64_t deadline = deadline_after(timeout_s);
    for (;;) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
        const int e = errno;
        ::close(fd_);
        fd_ = -1;
        // QEMU creates the socket a moment after it starts.
        if ((e != ENOENT && e != ECONNREFUSED) || now_ns() >= deadline)
            throw std::runtime_error(fmt::format("cannot connect to QEMU's QMP socket {}: {}",
                                                 socket_path, std::strerror(e)));
        ::usleep(10'000);
    }
    const nlohmann::json greeting = read_message(timeout_s);
    if (!greeting.contains("QMP")) {
        ::close(fd_);
        throw std::runtime_error(fmt::format("no QMP greeting on {}", socket_path));
    }
    try {
        execute("qmp_capabilities", nlohmann::json::object(), timeout_s);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

Qmp::~Qmp() {
    if (fd_ >= 0) ::close(fd_);
}

nlohmann::json Qmp::read_message(double timeout_s) {
    const uint64_t deadline = deadline_after(timeout_s);
    for (;;) {
        const size_t eol = buffer_.find('\n');
        if (eol != std::string::npos) {
            const std::string line = buffer_.substr(0, eol);
            buffer_.erase(0, eol + 1);
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded())
                throw std::runtime_error(
                    fmt::format("QMP sent something that is not JSON: {}", line.substr(0, 80)));
            return j;
        }
        const uint64_t now = now_ns();
        if (now >= deadline)
            throw std::runtime_error(fmt::format("QMP: no answer within {} s", timeout_s));
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, int((deadline - now) / 1'000'000) + 1);
        if (r < 0 && errno != EINTR)
            throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
        if (r <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(fmt::format("QMP read: {}", std::strerror(errno)));
        if (n == 0) throw std::runtime_error("QEMU closed its QMP socket (did it exit?)");
        buffer_.append(buf, size_t(n));
    }
}

nlohmann::json Qmp::execute(const std::string& command, const nlohmann::json& arguments,
                            double timeout_s) {
    nlohmann::json request{{"execute", command}};
    if (!arguments.empty()) request["arguments"] = arguments;
    const std::string line = request.dump() + "\n";
    for (size_t done = 0; done < line.size();) {
        const ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw std::runtime_error(fmt::format("QMP {}: {}", command, std::strerror(errno)));
        done += size_t(n);
    }
    for (;;) {
        nlohmann::json answer = read_message(timeout_s);
        if (answer.contains("event")) {
            events_.push_back(answer["event"].get<std::string>());
            continue;
        }
        if (answer.contains("return")) return answer["return"];
        if (answer.contains("error"))
            throw std::runtime_error(
                fmt::format("QMP {}: {}", command, answer["error"].value("desc", "error")));
        throw std::runtime_error(
            fmt::format("QMP {}: unexpected answer {}", command, answer.dump().substr(0, 80)));
    }
}

}  // namespace ptv::bench
