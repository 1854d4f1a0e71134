#include "ptv/worker/trace_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>

#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/vnd/trace_export.hpp"

namespace ptv::worker {

namespace {
constexpr int kPeriodMs = 20;  // how often new records are sent
}

struct TraceStream::Client {
    std::FILE* out = nullptr;
    std::optional<trace::TraceWriter> writer;
    size_t sent = 0;  // records written so far
    bool failed = false;

    explicit Client(int fd) {
        // A viewer that stops reading must not hold the worker forever.
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        out = ::fdopen(fd, "w");
        if (!out) {
            ::close(fd);
            failed = true;
            return;
        }
        std::setvbuf(out, nullptr, _IOFBF, 1 << 16);
        writer.emplace(out, trace::TraceWriter::Mode::LinesBatched);
    }
    ~Client() {
        writer.reset();
        if (out) std::fclose(out);
    }
};

TraceStream::TraceStream(const vnd::NotificationDispatcher& dispatcher, Options options)
    : dispatcher_(dispatcher), options_(std::move(options)) {
    // A viewer that goes away is not a reason for the worker to die.
    std::signal(SIGPIPE, SIG_IGN);
    if (options_.fd >= 0) clients_.push_back(std::make_unique<Client>(options_.fd));
    if (!options_.socket_path.empty()) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (options_.socket_path.size() >= sizeof addr.sun_path)
            throw UsageError(
                fmt::format("--trace-socket '{}': path too long", options_.socket_path));
        std::memcpy(addr.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
        listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (listen_fd_ < 0 ||
            ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
            ::listen(listen_fd_, 4) < 0) {
            const int err = errno;
            if (listen_fd_ >= 0) ::close(listen_fd_);
            listen_fd_ = -1;
            throw UsageError(fmt::format("--trace-socket '{}': {}; choose a free path",
                                         options_.socket_path, std::strerror(err)));
        }
    }
}

TraceStream::~TraceStream() {
    stop();
    clients_.clear();
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        ::unlink(options_.socket_path.c_str());
    }
}

void TraceStream::start() {
    thread_ = std::thread([this] { loop(); });
}

void TraceStream::stop() {
    if (stop_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    accept_clients();
    drain();  // the records of the last moments
}

void TraceStream::loop() {
    while (!stop_.load()) {
        if (listen_fd_ >= 0) {
            pollfd p{listen_fd_, POLLIN, 0};
            ::poll(&p, 1, kPeriodMs);
            accept_clients();
        } else {
            ::usleep(kPeriodMs * 1000);
        }
        drain();
    }
}

void TraceStream::accept_clients() {
    if (listen_fd_ < 0) return;
    while (true) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        clients_.push_back(std::make_unique<Client>(fd));
    }
}

void TraceStream::drain() {
    const auto* log = dispatcher_.log();
    if (!log) return;
    const auto records = log->published();
    for (auto& c : clients_) {
        if (c->failed) continue;
        if (c->sent == 0 && !c->writer->events_written())
            vnd::write_tracks(*c->writer, dispatcher_, options_.vm_name, options_.worker_pid);
        for (; c->sent < records.size(); ++c->sent)
            vnd::write_record(*c->writer, dispatcher_, records[c->sent], c->sent + 1,
                              options_.t0_ns);
        if (!c->writer->flush()) c->failed = true;  // gone: stop writing to it
    }
}

}  // namespace ptv::worker
