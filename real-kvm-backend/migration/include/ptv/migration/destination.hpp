// The destination side of live migration (worker B). Until Go it runs on
// the vCPU thread, before the guest does: pages into RAM, then the state.
// After Go a thread of its own (the "tail") finishes the migration while
// the guest runs: for post-copy it serves the guest's faults and takes the
// pages the source pushes; in every mode it receives the source's memory
// digest and compares it with what arrived.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ptv/migration/protocol.hpp"
#include "ptv/migration/userfault.hpp"

namespace ptv::migration {

struct DestinationVm {
    std::span<uint8_t> ram;
    // Restores the vCPU and the devices from the source's State (see the
    // order in destination.cpp).
    std::function<void(const nlohmann::json& state)> restore;
    // Post-copy only: the source went away before every page arrived. The
    // guest is lost; the worker must stop it (the tail has zero-filled the
    // missing pages so that nothing stays blocked on them).
    std::function<void(const std::string& message)> lost;
};

class MigrationDestination {
  public:
    MigrationDestination(DestinationVm vm, std::unique_ptr<Connection> conn, Mode mode);
    ~MigrationDestination();  // joins the tail

    // Receives pages and state, restores, says Ready, waits for Go. Throws
    // ProtocolError (the guest never ran here: nothing to clean but us).
    void receive_until_go();
    // Starts the tail; `t_running` is when the vCPU is about to enter.
    void start_tail();
    void guest_running(uint64_t t_ns) { t_running_.store(t_ns); }
    // Waits for the tail; the destination's side of the report.
    nlohmann::json finish();

  private:
    void receive_pages(const FrameHeader& h);
    void tail();
    void serve_postcopy();
    void arrived(uint64_t page, const uint8_t* data);

    DestinationVm vm_;
    std::unique_ptr<Connection> conn_;
    Mode mode_;
    uint64_t pages_;
    std::vector<uint64_t> hashes_;  // per page, of the bytes that arrived
    std::vector<uint8_t> present_;  // post-copy: page is in RAM
    uint64_t present_count_ = 0;
    std::unique_ptr<UserFault> uffd_;
    std::thread tail_;
    std::atomic<uint64_t> t_running_{0};
    uint64_t t_go_ = 0, t_all_present_ = 0;
    uint64_t faults_ = 0, requested_ = 0, bytes_received_ = 0;
    uint64_t source_digest_ = 0;
    bool have_digest_ = false;
    std::string tail_error_;
    std::string boot_id_;
    nlohmann::json restore_parts_ = nullptr;  // where B's part of the downtime went
};

}  // namespace ptv::migration
