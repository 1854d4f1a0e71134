#include "ptv/migration/destination.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>
#include <chrono>
#include <cstring>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration {

namespace {

void wait_readable_spinning(int fd, uint64_t spin_ns) {
    const uint64_t until = now_ns() + spin_ns;
    char byte;
    while (now_ns() < until) {
        if (::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
            (errno != EAGAIN && errno != EINTR))
            return;
        // Our Ready just woke the source's thread, quite likely onto this
        // CPU: a spin that kept the CPU would make it wait for the next
        // scheduler tick (measured: Go 2-4 ms late one time in three).
        sched_yield();
    }
}

}  // namespace

MigrationDestination::MigrationDestination(DestinationVm vm, std::unique_ptr<Connection> conn,
                                           Mode mode)
    : vm_(std::move(vm)),
      conn_(std::move(conn)),
      mode_(mode),
      pages_(vm_.ram.size() / kPageSize),
      hashes_(pages_, zero_page_hash()),
      boot_id_(boot_id()) {
    if (mode_ == Mode::PostCopy) {
        // Before anything touches RAM: every page is missing until it comes.
        present_.assign(pages_, 0);
        uffd_ = std::make_unique<UserFault>(vm_.ram.data(), vm_.ram.size());
    }
}

MigrationDestination::~MigrationDestination() {
    if (tail_.joinable()) tail_.join();
}

// Pre-copy and stop-and-copy pages land straight in RAM (the guest is not
// running yet); a page sent again in a later round overwrites the old one.
// Post-copy pages go through userfaultfd, which wakes a waiting vCPU.
void MigrationDestination::receive_pages(const FrameHeader& h) {
    if (h.count == 0 || h.count > 4096 || h.length < uint64_t(h.count) * 8)
        throw ProtocolError(fmt::format("{} broke the protocol: a pages frame of {} pages",
                                        conn_->peer(), h.count));
    std::vector<uint64_t> numbers(h.count);
    conn_->read_all(numbers.data(), numbers.size() * 8);
    uint64_t data_bytes = 0;
    for (uint64_t n : numbers)
        if (!(n & kZeroPage)) data_bytes += kPageSize;
    if (h.length != h.count * 8 + data_bytes)
        throw ProtocolError(
            fmt::format("{} broke the protocol: pages frame length", conn_->peer()));
    alignas(64) static thread_local uint8_t buffer[kPageSize];
    for (uint64_t n : numbers) {
        const uint64_t page = n & ~kZeroPage;
        if (page >= pages_)
            throw ProtocolError(
                fmt::format("{} sent page {} of a {}-page guest", conn_->peer(), page, pages_));
        uint8_t* dst = vm_.ram.data() + page * kPageSize;
        if (n & kZeroPage) {
            arrived(page, nullptr);
            continue;
        }
        if (uffd_) {
            conn_->read_all(buffer, kPageSize);
            arrived(page, buffer);
        } else {
            conn_->read_all(dst, kPageSize);
            hashes_[page] = page_hash(dst);
        }
    }
    bytes_received_ += sizeof h + h.length;
}

void MigrationDestination::arrived(uint64_t page, const uint8_t* data) {
    if (uffd_) {
        if (present_[page]) return;  // asked for and pushed: the first copy won
        present_[page] = 1;
        ++present_count_;
        if (data)
            uffd_->copy(page, data);
        else
            uffd_->zero(page);
        hashes_[page] = data ? page_hash(data) : zero_page_hash();
        return;
    }
    if (!data) {
        // Zero it only if an earlier round sent data: untouched RAM is zero
        // already, and writing it would allocate it.
        if (hashes_[page] != zero_page_hash()) {
            std::memset(vm_.ram.data() + page * kPageSize, 0, kPageSize);
            hashes_[page] = zero_page_hash();
        }
    }
}

void MigrationDestination::receive_until_go() {
    for (;;) {
        const FrameHeader h = conn_->read_header();
        switch (Frame(h.type)) {
            case Frame::Pages:
                receive_pages(h);
                break;
            case Frame::State: {
                const uint64_t t0 = now_ns();
                const nlohmann::json state = conn_->read_json(h);
                const uint64_t t1 = now_ns();
                try {
                    vm_.restore(state);
                    restore_parts_ = {{"parse_ms", double(t1 - t0) / 1e6},
                                      {"restore_ms", double(now_ns() - t1) / 1e6}};
                } catch (const std::exception& e) {
                    const std::string why = e.what();
                    conn_->send_frame(Frame::Error, why.data(), why.size());
                    throw ProtocolError(fmt::format("cannot restore the guest's state: {}", why));
                }
                conn_->send_frame(Frame::Ready);
                // Go is one round trip away: poll for it for a few ms
                // rather than sleep, because waking a thread on an idle
                // CPU (a virtual one, in a VM) can take milliseconds, all
                // of them downtime.
                wait_readable_spinning(conn_->fd(), 5'000'000);
                const FrameHeader go = conn_->read_header();
                if (Frame(go.type) != Frame::Go)
                    throw ProtocolError(fmt::format("{} broke the protocol: {} instead of go",
                                                    conn_->peer(), frame_name(Frame(go.type))));
                t_go_ = now_ns();
                return;
            }
            default:
                throw ProtocolError(fmt::format("{} broke the protocol: {} before the state",
                                                conn_->peer(), frame_name(Frame(h.type))));
        }
    }
}

void MigrationDestination::start_tail() {
    tail_ = std::thread([this] { tail(); });
}

void MigrationDestination::tail() {
    try {
        // Tell the source when the guest ran here (its downtime's end); it
        // waits for this before it does anything else. In post-copy the
        // vCPU may already wait on a missing page: the fault is served just
        // after.
        for (int i = 0; i < 20000 && !t_running_.load(); ++i)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        const uint64_t running = t_running_.load();
        conn_->send_json(Frame::Started, {{"start_ns", running ? running - t_go_ : 0},
                                          {"running_at_ns", running},
                                          {"go_at_ns", t_go_},
                                          {"boot_id", boot_id_}});
        if (mode_ == Mode::PostCopy) serve_postcopy();
        const FrameHeader h = conn_->read_header();
        if (Frame(h.type) != Frame::Digest || h.length != 8)
            throw ProtocolError(fmt::format("{} broke the protocol: {} instead of the digest",
                                            conn_->peer(), frame_name(Frame(h.type))));
        conn_->read_all(&source_digest_, 8);
        have_digest_ = true;
    } catch (const std::exception& e) {
        tail_error_ = e.what();
        if (uffd_ && present_count_ < pages_) {
            // Post-copy's known risk (Hines & Gopalan): the only complete
            // copy of the guest was split between two hosts, one is gone.
            const std::string msg = fmt::format(
                "lost the source during post-copy with {} of {} pages not yet here ({}): the "
                "guest is lost -- post-copy's known risk, its memory existed only in two halves",
                pages_ - present_count_, pages_, e.what());
            vm_.lost(msg);
            // Unblock anything waiting on a missing page; the worker stops
            // the guest, whose memory is no longer whole.
            for (uint64_t p = 0; p < pages_; ++p)
                if (!present_[p]) uffd_->zero(p);
        }
    }
    conn_.reset();
}

// Faults become PageRequests; Pages (asked for or pushed) are copied in.
// Ends when every page is present, and says Done. The source pushes pages
// without pause, so a silence as long as the path's timeout means it is
// gone (or hung) even if no TCP error ever comes.
void MigrationDestination::serve_postcopy() {
    const double timeout_s = conn_->receive_timeout_s();
    const double silence_s = timeout_s > 0 ? timeout_s : 5.0;
    const uint64_t silence_ns = uint64_t(silence_s * 1e9);
    uint64_t last_heard = now_ns();
    while (present_count_ < pages_) {
        if (now_ns() - last_heard > silence_ns)
            throw ProtocolError(fmt::format("{} sent nothing for {:.1f} s during post-copy",
                                            conn_->peer(), silence_s));
        pollfd fds[2] = {{uffd_->fd(), POLLIN, 0}, {conn_->fd(), POLLIN, 0}};
        if (::poll(fds, 2, 200) < 0) continue;
        if (fds[0].revents & POLLIN) {
            std::vector<uint64_t> wanted;
            while (auto page = uffd_->next_fault()) {
                ++faults_;
                if (*page < pages_ && !present_[*page]) wanted.push_back(*page);
            }
            if (!wanted.empty()) {
                requested_ += wanted.size();
                conn_->send_frame(Frame::PageRequest, wanted.data(), wanted.size() * 8,
                                  uint32_t(wanted.size()));
            }
        }
        if (fds[1].revents) {
            last_heard = now_ns();
            const FrameHeader h = conn_->read_header();
            if (Frame(h.type) != Frame::Pages)
                throw ProtocolError(fmt::format("{} broke the protocol: {} during post-copy",
                                                conn_->peer(), frame_name(Frame(h.type))));
            receive_pages(h);
        }
    }
    t_all_present_ = now_ns();
    conn_->send_frame(Frame::Done);
}

nlohmann::json MigrationDestination::finish() {
    if (tail_.joinable()) tail_.join();
    const uint64_t digest = digest_of(hashes_);
    nlohmann::json j = {
        {"mode", mode_name(mode_)},
        {"bytes_received", bytes_received_},
        {"start_ms", t_running_.load() && t_go_ ? double(t_running_.load() - t_go_) / 1e6 : 0.0},
        {"digest", fmt::format("{:#018x}", digest)},
        {"source_digest", have_digest_ ? nlohmann::json(fmt::format("{:#018x}", source_digest_))
                                       : nlohmann::json(nullptr)},
        {"digest_match", have_digest_ && digest == source_digest_},
        {"error", tail_error_},
        {"restore", restore_parts_}};
    if (mode_ == Mode::PostCopy)
        j["postcopy"] = {
            {"remote_faults", faults_},
            {"pages_requested", requested_},
            {"degraded_ms", t_all_present_ ? nlohmann::json(double(t_all_present_ - t_go_) / 1e6)
                                           : nlohmann::json(nullptr)}};
    return j;
}

}  // namespace ptv::migration
