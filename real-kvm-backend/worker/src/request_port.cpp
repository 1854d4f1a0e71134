#include "ptv/worker/request_port.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "ptv/common/error.hpp"
#include "ptv/portmap.h"

namespace ptv::worker {

namespace {

constexpr size_t kMaxId = 32;

bool printable_word(std::string_view w) {
    for (char c : w)
        if (uint8_t(c) <= ' ' || uint8_t(c) == 0x7f) return false;
    return true;
}

// The line's words, split at runs of blanks.
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
        const size_t start = at;
        while (at < line.size() && line[at] != ' ' && line[at] != '\t') ++at;
        if (at > start) out.push_back(line.substr(start, at - start));
    }
    return out;
}

}  // namespace

RequestLine parse_request_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto w = words(line);
    RequestLine r;
    r.id = !w.empty() && w[0].size() <= kMaxId && printable_word(w[0]) ? std::string(w[0]) : "-";
    if (w.size() == 2 && r.id != "-" && w[1] == "QUIT") {
        r.request = devices::HostRing::Request{PTV_HOSTRING_OP_QUIT, ""};
        return r;
    }
    if (w.size() != 3 || r.id == "-" || w[1] != "GET" || w[2].size() > PTV_HOSTRING_REQ_DATA_MAX ||
        !printable_word(w[2]))
        return r;
    r.request = devices::HostRing::Request{PTV_HOSTRING_OP_GET, std::string(w[2])};
    return r;
}

std::string format_answer(std::string_view id, uint32_t status, const std::vector<uint8_t>& bytes) {
    std::string out = fmt::format("{} {} {}\n", id, status, bytes.size());
    out.append(bytes.begin(), bytes.end());
    return out;
}

// The socket's writing half, which outlives the port while the device
// holds answers still due: each answer goes out whole, under the mutex.
struct RequestPort::Writer {
    std::mutex lock;
    int fd;
    bool open = true;  // false once the port is gone or the client left
    std::atomic<uint64_t> requests{0}, bad_lines{0}, answers{0};

    explicit Writer(int f) : fd(f) {}
    void write(const std::string& bytes) {
        std::lock_guard l(lock);
        size_t done = 0;
        while (open && done < bytes.size()) {
            // MSG_NOSIGNAL: a client that went away is an error here, not
            // a SIGPIPE that ends the VM.
            const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                open = false;  // the client left: its answers go nowhere
            else
                done += size_t(n);
        }
        if (open) ++answers;
    }
    void close() {
        std::lock_guard l(lock);
        open = false;
        ::close(fd);
        fd = -1;
    }
};

void RequestPort::check(int fd) {
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0)
        throw UsageError(fmt::format(
            "--requests-fd {} is not an open descriptor; give a connected stream socket this "
            "worker inherits (one end of a socketpair)",
            fd));
    int type = 0;
    socklen_t len = sizeof type;
    if (!S_ISSOCK(st.st_mode) || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM)
        throw UsageError(fmt::format(
            "--requests-fd {} is not a stream socket; give a connected stream socket this worker "
            "inherits (one end of a socketpair)",
            fd));
}

RequestPort::RequestPort(int fd, devices::HostRing& ring)
    : writer_(std::make_shared<Writer>(fd)), ring_(ring), wake_fd_(::eventfd(0, EFD_CLOEXEC)) {
    thread_ = std::thread([this] { read_loop(); });
}

RequestPort::~RequestPort() {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
    ::close(wake_fd_);
    writer_->close();
}

RequestPort::Stats RequestPort::stats() const {
    return {writer_->requests.load(), writer_->bad_lines.load(), writer_->answers.load()};
}

void RequestPort::read_loop() {
    std::string line;
    bool overlong = false;  // the current line passed kMaxLine: skip to its end
    for (;;) {
        pollfd fds[2] = {{writer_->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents) return;
        char buf[4096];
        const ssize_t n = ::read(writer_->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // end of file: no more requests; answers still go out
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == '\n') {
                if (!overlong) take_line(line);
                line.clear();
                overlong = false;
            } else if (!overlong) {
                line += buf[i];
                if (line.size() >= kMaxLine) {  // no newline in time: a bad line
                    take_line(line.substr(0, kMaxLine - 1) + " (too long)");
                    line.clear();
                    overlong = true;
                }
            }
        }
    }
}

void RequestPort::take_line(std::string_view text) {
    RequestLine r = parse_request_line(text);
    if (!r.request) {
        ++writer_->bad_lines;
        writer_->write(format_answer(r.id, PTV_HOSTRING_S_BAD_REQUEST, {}));
        return;
    }
    ++writer_->requests;
    ring_.send(std::move(*r.request),
               [writer = writer_, id = std::move(r.id)](devices::HostRing::Answer a) {
                   writer->write(format_answer(id, a.status, a.bytes));
               });
}

}  // namespace ptv::worker
