// The worker's side of live migration, apart from the VM and its vCPU loop:
// as the source, a thread that runs the migration while the vCPU keeps
// running (migration/source.hpp) and ends the run once the guest runs on the
// destination; as the destination, the state that arrives before the guest
// first runs here (migration/destination.hpp). The algorithms live in
// real-kvm-backend/migration; this is how they reach one VM.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ptv/migration/destination.hpp"
#include "ptv/migration/precopy_policy.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/worker/vcpu_loop.hpp"
#include "ptv/worker/virtual_machine.hpp"

namespace ptv::worker {

class MigrationAgent {
  public:
    using Reply = std::function<void(const nlohmann::json&)>;
    // What the state sent along names: the VM and where it came from.
    struct Identity {
        std::string name, image_path, cmdline;
        uint32_t memory_mib;
    };
    // `save_state` gives the whole checkpoint state of the paused guest.
    MigrationAgent(VirtualMachine& vm, VcpuLoop& loop, Identity identity,
                   std::function<nlohmann::json()> save_state);
    ~MigrationAgent();

    // Source: migrates the running guest to request["to"] (HOST:PORT) on a
    // thread of its own; `reply` gets the rounds as they end and the
    // outcome. On success the run ends as Migrated; on a failure before the
    // switch the guest runs on here. Pre-copy stops by `policy`, or when
    // there is none by the one request["policy"] names (make_precopy_policy).
    void migrate(const nlohmann::json& request, Reply reply,
                 std::unique_ptr<migration::PreCopyPolicy> policy = nullptr);
    // Destination, before the run: receives memory and state over `conn`
    // until the source says Go. Throws migration::ProtocolError.
    void receive(std::unique_ptr<migration::Connection> conn, migration::Mode mode);
    // The guest is about to run here (a destination's first KVM_RUN).
    void guest_running(uint64_t t_ns);
    // After the run: a migration still under way ends with the guest.
    void finish();
    // The source's or the destination's report (null: no migration).
    nlohmann::json report() const;

  private:
    nlohmann::json pause_and_save();
    void stop_source();
    void run_source(const nlohmann::json& request, const Reply& reply,
                    std::unique_ptr<migration::PreCopyPolicy> policy);

    VirtualMachine& vm_;
    VcpuLoop& loop_;
    Identity identity_;
    std::function<nlohmann::json()> save_state_;
    std::thread thread_;
    std::atomic<int> fd_{-1};
    std::atomic<bool> run_over_{false};
    std::unique_ptr<migration::MigrationDestination> incoming_;
    mutable std::mutex lock_;
    nlohmann::json report_ = nullptr;
};

}  // namespace ptv::worker
