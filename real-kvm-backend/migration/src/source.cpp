#include "ptv/migration/source.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cstring>

#include "ptv/common/clock.hpp"

namespace ptv::migration {

namespace {

constexpr size_t kBatch = 256;  // pages per frame: 1 MiB of payload at most

std::vector<uint64_t> pages_of(const std::vector<uint64_t>& bitmap, uint64_t max_pages) {
    std::vector<uint64_t> pages;
    for (size_t w = 0; w < bitmap.size(); ++w)
        for (uint64_t bits = bitmap[w]; bits; bits &= bits - 1) {
            const uint64_t p = w * 64 + uint64_t(std::countr_zero(bits));
            if (p < max_pages) pages.push_back(p);
        }
    return pages;
}

// Pages of `ram` that were ever populated, from /proc/self/pagemap (bit 63:
// present, 62: swapped out). A page neither present nor swapped was never
// written: it is zero, and reading it just to find that out would fault in
// the shared zero page, 64 Ki times for 256 MiB. Empty when pagemap cannot
// be read (then every page is looked at).
std::vector<uint8_t> populated_pages(std::span<const uint8_t> ram) {
    std::vector<uint8_t> out;
    const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    const size_t pages = ram.size() / kPageSize;
    std::vector<uint64_t> entries(pages);
    const off_t offset = off_t(reinterpret_cast<uintptr_t>(ram.data()) / kPageSize * 8);
    const ssize_t n = ::pread(fd, entries.data(), pages * 8, offset);
    ::close(fd);
    if (n != ssize_t(pages * 8)) return out;
    out.resize(pages);
    for (size_t p = 0; p < pages; ++p) out[p] = (entries[p] >> 62) != 0;
    return out;
}

}  // namespace

nlohmann::json RoundRecord::to_json() const {
    return {{"round", round},
            {"pages", pages},
            {"zero_pages", zero_pages},
            {"bytes", bytes},
            {"pages_dirtied", pages_dirtied},
            {"start_ms", double(start_ns) / 1e6},
            {"duration_ms", double(duration_ns) / 1e6},
            {"decision", decision},
            {"stop_and_copy", stop_and_copy}};
}

nlohmann::json SourceReport::to_json() const {
    nlohmann::json rounds_j = nlohmann::json::array();
    for (const auto& r : rounds) rounds_j.push_back(r.to_json());
    return {{"mode", mode_name(mode)},
            {"policy", policy},
            {"stop_reason", stop_reason},
            {"rounds", rounds_j},
            {"stop_and_copy", stop_and_copy.to_json()},
            {"total_ms", double(total_ns) / 1e6},
            {"downtime_ms", double(downtime_total_ns) / 1e6},
            {"downtime_same_clock", same_clock},
            {"source_downtime_ms", double(downtime_ns) / 1e6},
            {"destination_start_ms", double(destination_start_ns) / 1e6},
            {"pause_ms", double(pause_ns) / 1e6},
            {"bytes_sent", bytes_sent},
            {"memory_bytes", memory_bytes},
            {"pages_pushed", pages_pushed},
            {"pages_requested", pages_requested},
            {"digest", fmt::format("{:#018x}", digest)},
            {"downtime_parts", downtime_parts}};
}

MigrationSource::MigrationSource(SourceVm vm, Connection& conn, Mode mode,
                                 std::unique_ptr<PreCopyPolicy> policy, Progress progress)
    : vm_(std::move(vm)),
      conn_(conn),
      mode_(mode),
      policy_(std::move(policy)),
      progress_(std::move(progress)),
      boot_id_(boot_id()) {}

uint64_t MigrationSource::elapsed() const {
    return now_ns() - t0_;
}

// One Pages frame per batch: the page numbers, then the pages themselves,
// written straight from guest RAM (no copy). A page of zeros travels as
// its number with kZeroPage set, as QEMU's and Xen's zero-page detection do.
uint64_t MigrationSource::send_pages(std::span<const uint64_t> pages, RoundRecord& record) {
    const uint8_t* ram = vm_.ram.data();
    uint64_t numbers[kBatch];
    std::pair<const void*, size_t> parts[kBatch + 2];
    uint64_t sent = 0;
    for (size_t i = 0; i < pages.size(); i += kBatch) {
        const size_t n = std::min(kBatch, pages.size() - i);
        size_t nparts = 2, data_pages = 0;
        for (size_t k = 0; k < n; ++k) {
            const uint64_t p = pages[i + k];
            const uint8_t* page = ram + p * kPageSize;
            const bool never_written = !populated_.empty() && !populated_[p];
            if (never_written || is_zero_page(page)) {
                numbers[k] = p | kZeroPage;
                ++record.zero_pages;
            } else {
                numbers[k] = p;
                parts[nparts++] = {page, kPageSize};
                ++data_pages;
            }
        }
        FrameHeader h{uint32_t(Frame::Pages), uint32_t(n), n * 8 + data_pages * kPageSize};
        parts[0] = {&h, sizeof h};
        parts[1] = {numbers, n * 8};
        conn_.write_iov({parts, nparts});
        const uint64_t bytes = sizeof h + h.length;
        record.bytes += bytes;
        bytes_ += bytes;
        record.pages += n;
        sent += n;
    }
    return sent;
}

uint64_t MigrationSource::send_dirty(const std::vector<uint64_t>& bitmap, RoundRecord& record) {
    const auto pages = pages_of(bitmap, vm_.ram.size() / kPageSize);
    return send_pages(pages, record);
}

SourceReport MigrationSource::run() {
    t0_ = now_ns();
    const uint64_t memory_pages = vm_.ram.size() / kPageSize;
    SourceReport report;
    report.mode = mode_;
    report.memory_bytes = vm_.ram.size();
    report.policy = mode_ == Mode::PreCopy ? policy_->name() : "";

    std::vector<uint64_t> dirty;  // dirtied since it was last sent
    std::vector<uint64_t> all(memory_pages);
    for (uint64_t p = 0; p < memory_pages; ++p) all[p] = p;

    if (mode_ == Mode::PreCopy) {
        // Clark et al.: round 1 sends everything while the guest runs; each
        // later round sends what the dirty log says changed meanwhile.
        vm_.start_dirty_log();
        // Pages first written after this are in the dirty log.
        populated_ = populated_pages(vm_.ram);
        uint64_t total_sent = 0;
        for (uint32_t round = 1;; ++round) {
            RoundRecord r;
            r.round = round;
            r.start_ns = elapsed();
            total_sent += round == 1 ? send_pages(all, r) : send_dirty(dirty, r);
            populated_.clear();  // from round 2 on, pages come from the dirty log
            dirty = vm_.dirty_log();
            r.duration_ns = elapsed() - r.start_ns;
            for (uint64_t w : dirty) r.pages_dirtied += uint64_t(std::popcount(w));
            RoundStats s;
            s.round = round;
            s.pages_sent = r.pages;
            s.pages_dirty = r.pages_dirtied;
            s.duration_s = double(r.duration_ns) / 1e9;
            s.total_pages_sent = total_sent;
            s.memory_pages = memory_pages;
            s.bandwidth_bytes_per_s = double(bytes_) / (double(elapsed()) / 1e9);
            const bool stop = policy_->after_round(s) == PreCopyPolicy::Decision::StopAndCopy;
            if (stop) r.decision = policy_->reason();
            report.rounds.push_back(r);
            if (progress_) progress_(r);
            if (stop) break;
        }
        report.stop_reason = policy_->reason();
    }

    // Stop-and-copy: the guest stops here and runs next on the destination.
    report.pause_ns = elapsed();
    const uint64_t t_pause = now_ns();
    t_pause_ = t_pause;
    nlohmann::json state = vm_.pause_and_save();
    paused_ = true;
    // RAM holds still from here on. Stop-and-copy reads the page map now;
    // post-copy only after Go, out of the downtime (nothing is sent before).
    if (mode_ == Mode::StopAndCopy) populated_ = populated_pages(vm_.ram);
    report.downtime_parts["pause_and_save_ms"] = double(now_ns() - t_pause) / 1e6;
    if (state.contains("pause_timing")) {
        report.downtime_parts["kick_ms"] = state["pause_timing"]["kick_ms"];
        report.downtime_parts["save_ms"] = state["pause_timing"]["save_ms"];
        report.downtime_parts["wake_ms"] = state["pause_timing"]["wake_ms"];
        state.erase("pause_timing");
    }
    RoundRecord& sc = report.stop_and_copy;
    sc.round = uint32_t(report.rounds.size() + 1);
    sc.stop_and_copy = true;
    sc.start_ns = report.pause_ns;
    if (mode_ == Mode::PreCopy) {
        // What the last round left dirty, and what was dirtied since.
        const auto last = vm_.dirty_log();
        for (size_t w = 0; w < dirty.size() && w < last.size(); ++w) dirty[w] |= last[w];
        send_dirty(dirty, sc);
        vm_.stop_dirty_log();
    } else if (mode_ == Mode::StopAndCopy) {
        send_pages(all, sc);
    }  // post-copy: no pages now, all of them after the switch
    report.downtime_parts["last_pages_ms"] = double(now_ns() - t_pause) / 1e6;
    const std::string s = state.dump();
    conn_.send_frame(Frame::State, s.data(), s.size());
    bytes_ += sizeof(FrameHeader) + s.size();
    sc.bytes += sizeof(FrameHeader) + s.size();
    const FrameHeader ready = conn_.read_header();
    if (Frame(ready.type) == Frame::Error) {
        const auto why = conn_.read_payload(ready, 4096);
        throw ProtocolError(fmt::format("{} could not start the guest: {}", conn_.peer(),
                                        std::string(why.begin(), why.end())));
    }
    if (Frame(ready.type) != Frame::Ready)
        throw ProtocolError(fmt::format("{} broke the protocol: {} instead of ready", conn_.peer(),
                                        frame_name(Frame(ready.type))));
    conn_.read_payload(ready, 4096);
    report.downtime_parts["ready_ms"] = double(now_ns() - t_pause) / 1e6;
    // From here on the guest belongs to the destination.
    report.downtime_ns = now_ns() - t_pause;
    conn_.send_frame(Frame::Go);
    switched_ = true;
    report.downtime_parts["go_ms"] = double(report.downtime_ns) / 1e6;
    // Nothing more until the guest runs there: Go woke the destination's
    // thread, often on this CPU, and any work of ours now (the page map,
    // the push, the digest) would keep it from the CPU for milliseconds,
    // all of them downtime. Waiting here lets it start the guest first
    // (measured: post-copy downtime 3-8 ms when we pushed at once, 1-1.5 ms
    // with this wait).
    read_started(report);
    sc.duration_ns = elapsed() - sc.start_ns;
    if (progress_) progress_(sc);

    if (mode_ == Mode::PostCopy) {
        populated_ = populated_pages(vm_.ram);
        serve_postcopy(report);
    }
    report.total_ns = elapsed();
    // RAM here holds still from now on: what the destination started from.
    report.digest = memory_digest(vm_.ram);
    conn_.send_frame(Frame::Digest, &report.digest, sizeof report.digest);
    report.bytes_sent = bytes_ + sizeof(FrameHeader) + 8;
    // The migration ends when the destination runs the guest with all of
    // its memory: never before the end of the downtime.
    report.total_ns = std::max(report.total_ns, report.pause_ns + report.downtime_total_ns);
    return report;
}

// The destination says when the guest ran there. On the same host (one
// CLOCK_MONOTONIC: same boot id) the downtime is exact: our pause to its
// first run. Between hosts it is our share plus its share, without Go's
// one-way network delay.
void MigrationSource::read_started(SourceReport& report) {
    const FrameHeader h = conn_.read_header();
    if (Frame(h.type) != Frame::Started)
        throw ProtocolError(fmt::format("{} broke the protocol: {} instead of started",
                                        conn_.peer(), frame_name(Frame(h.type))));
    const nlohmann::json j = conn_.read_json(h);
    report.destination_start_ns = j.value("start_ns", uint64_t(0));
    const uint64_t running = j.value("running_at_ns", uint64_t(0));
    if (!boot_id_.empty() && j.value("boot_id", "") == boot_id_ && running > t_pause_) {
        report.downtime_total_ns = running - t_pause_;
        report.downtime_parts["b_got_go_ms"] =
            double(j.value("go_at_ns", uint64_t(0)) - t_pause_) / 1e6;
        report.downtime_parts["b_running_ms"] = double(running - t_pause_) / 1e6;
        report.same_clock = true;
    } else {
        report.downtime_total_ns = report.downtime_ns + report.destination_start_ns;
    }
}

// Hines & Gopalan's post-copy, source half: push every page in order (the
// "background push"), but first answer any page the destination faulted
// on (demand paging over the network); each page goes once.
void MigrationSource::serve_postcopy(SourceReport& report) {
    const uint64_t memory_pages = vm_.ram.size() / kPageSize;
    std::vector<bool> sent(memory_pages, false);
    uint64_t next = 0, sent_count = 0;
    RoundRecord push;
    bool done = false;
    auto send_one = [&](uint64_t p) {
        if (p >= memory_pages || sent[p]) return false;
        sent[p] = true;
        ++sent_count;
        send_pages({&p, 1}, push);
        return true;
    };
    while (!done) {
        // Requests first: a faulting vCPU waits for them.
        pollfd pfd{conn_.fd(), POLLIN, 0};
        while (::poll(&pfd, 1, sent_count < memory_pages ? 0 : 1000) > 0) {
            const FrameHeader h = conn_.read_header();
            if (Frame(h.type) == Frame::Done) {
                conn_.read_payload(h, 0);
                done = true;
                break;
            }
            if (Frame(h.type) != Frame::PageRequest)
                throw ProtocolError(fmt::format("{} broke the protocol: {} during post-copy",
                                                conn_.peer(), frame_name(Frame(h.type))));
            const auto bytes = conn_.read_payload(h, 8 * 4096);
            for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
                uint64_t p;
                std::memcpy(&p, bytes.data() + i, 8);
                if (send_one(p)) ++report.pages_requested;
            }
            pfd.revents = 0;
        }
        if (done) break;
        // Then a batch of the background push.
        std::vector<uint64_t> batch;
        while (next < memory_pages && batch.size() < 64) {
            if (!sent[next]) {
                sent[next] = true;
                ++sent_count;
                batch.push_back(next);
            }
            ++next;
        }
        if (!batch.empty()) {
            send_pages(batch, push);
            report.pages_pushed += batch.size();
        }
    }
}

}  // namespace ptv::migration
