// The source side of live migration (worker A): Clark et al.'s pre-copy,
// plain stop-and-copy, and the source half of post-copy (Hines & Gopalan:
// switch first, then push pages while answering the destination's faults).
// It runs on a thread of its own while the vCPU keeps running; what it
// needs from the worker is the SourceVm below.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "ptv/migration/precopy_policy.hpp"
#include "ptv/migration/protocol.hpp"

namespace ptv::migration {

struct SourceVm {
    std::span<uint8_t> ram;
    // KVM's dirty log: on (and cleared), read-and-clear, off.
    std::function<void()> start_dirty_log;
    std::function<std::vector<uint64_t>()> dirty_log;
    std::function<void()> stop_dirty_log;
    // Pauses the vCPU between two instructions and returns the vCPU and
    // device state (blocks until done). The worker resumes it if the
    // migration fails before the switch (MigrationSource::paused()).
    std::function<nlohmann::json()> pause_and_save;
};

struct RoundRecord {
    uint32_t round = 0;
    uint64_t pages = 0;                      // pages sent (zero pages included)
    uint64_t zero_pages = 0;                 // of which sent as a number only
    uint64_t bytes = 0;                      // bytes on the wire
    uint64_t pages_dirtied = 0;              // dirty when the round ended
    uint64_t start_ns = 0, duration_ns = 0;  // since the migration began
    std::string decision;                    // the policy's reason to stop, on the last round
    bool stop_and_copy = false;              // the copy with the guest paused
    nlohmann::json to_json() const;
};

struct SourceReport {
    Mode mode = Mode::PreCopy;
    std::vector<RoundRecord> rounds;                 // pre-copy rounds
    RoundRecord stop_and_copy;                       // the last copy with the guest paused
    uint64_t total_ns = 0;                           // connect to Go (post-copy: to the last page)
    uint64_t downtime_ns = 0;                        // A's share: paused until Go is sent
    uint64_t destination_start_ns = 0;               // B's share: Go received until the vCPU runs
    uint64_t downtime_total_ns = 0;                  // paused on A until running on B
    bool same_clock = false;                         // ... measured on one clock (one host)
    uint64_t pause_ns = 0;                           // when the guest was paused, since the start
    uint64_t bytes_sent = 0;                         // everything, headers included
    uint64_t pages_pushed = 0, pages_requested = 0;  // post-copy
    uint64_t digest = 0;                             // memory digest at the switch-over
    uint64_t memory_bytes = 0;
    std::string policy, stop_reason;
    // Where A's share of the downtime went (cumulative ms since the pause).
    nlohmann::json downtime_parts = nlohmann::json::object();
    nlohmann::json to_json() const;
};

class MigrationSource {
  public:
    using Progress = std::function<void(const RoundRecord&)>;
    MigrationSource(SourceVm vm, Connection& conn, Mode mode, std::unique_ptr<PreCopyPolicy> policy,
                    Progress progress = {});

    // Runs the migration to its end. Throws ProtocolError (or anything the
    // callbacks throw) on failure; `switched()` then says whether the guest
    // had already left (post-copy after Go: it is lost) or not (it keeps
    // running here once resumed).
    SourceReport run();
    bool switched() const { return switched_; }
    bool paused() const { return paused_; }

  private:
    uint64_t send_pages(std::span<const uint64_t> pages, RoundRecord& record);
    uint64_t send_dirty(const std::vector<uint64_t>& bitmap, RoundRecord& record);
    void serve_postcopy(SourceReport& report);
    void read_started(SourceReport& report);
    uint64_t elapsed() const;

    SourceVm vm_;
    Connection& conn_;
    Mode mode_;
    std::unique_ptr<PreCopyPolicy> policy_;
    Progress progress_;
    uint64_t t0_ = 0, t_pause_ = 0;
    std::vector<uint8_t> populated_;  // see populated_pages() in source.cpp
    std::string boot_id_;
    uint64_t bytes_ = 0;
    bool switched_ = false, paused_ = false;
};

}  // namespace ptv::migration
