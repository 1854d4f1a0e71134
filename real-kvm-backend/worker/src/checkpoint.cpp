// Checkpoints of a running guest: pausing, resuming and snapshotting it,
// and starting one from a snapshot -- the worker's side (Hyper-V's
// VSS-writer role belongs to the service; the state capture is here, where
// the VM is).
//
// Requests arrive on the control thread and are carried out on the vCPU
// thread (VcpuLoop::post kicks it out of KVM_RUN), so KVM's vCPU state is
// only ever touched by the thread that runs it, and only between two exits.
#include <ctime>

#include <fmt/format.h>

#include "ptv/common/clock.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/worker/snapshot_file.hpp"
#include "ptv/worker/worker.hpp"

namespace ptv::worker {

void WorkerProcess::pause(Reply reply) {
    if (auto no = refuse_several_vcpus("pause"); !no.is_null()) return reply(no);
    loop_.post([this, reply = std::move(reply)] {
        loop_.set_paused(true);
        // Stopped between two instructions, RAM holds still: its hash is
        // what a snapshot taken now records and a restore must give back.
        reply({{"type", "paused"},
               {"exits", exits_so_far()},
               {"memory_hash", memory_hash_text(memory_hash(vm_.memory().span()))}});
    });
}

void WorkerProcess::resume(Reply reply) {
    if (auto no = refuse_several_vcpus("resume"); !no.is_null()) return reply(no);
    loop_.post([this, reply = std::move(reply)] {
        loop_.set_paused(false);
        reply({{"type", "resumed"}});
    });
}

// What a snapshot (and a live migration's switch-over) records: who the VM
// is, then the machine's own state (VirtualMachine::save_state).
nlohmann::json WorkerProcess::checkpoint_state() {
    // Requests in flight finish first: their completions belong in the
    // saved RAM, and none is left half done in a device's state.
    back_end_.quiesce();
    nlohmann::json state = {{"vm", config_.name},
                            {"image", config_.image_path},
                            {"cmdline", config_.cmdline},
                            {"memory_mib", config_.memory_mib},
                            {"created_unix", std::time(nullptr)},
                            {"exits", exits_so_far()}};
    state.update(vm_.save_state());
    return state;
}

void WorkerProcess::snapshot(std::string dir, Reply reply) {
    if (auto no = refuse_several_vcpus("snapshot"); !no.is_null()) return reply(no);
    loop_.post([this, dir = std::move(dir), reply = std::move(reply)] {
        const uint64_t t0 = now_ns();
        try {
            nlohmann::json state = checkpoint_state();
            const uint64_t t_state = now_ns();
            write_snapshot(dir, state, vm_.ram());
            reply({{"type", "snapshot"},
                   {"dir", dir},
                   {"memory_bytes", vm_.memory().size()},
                   {"state_ns", t_state - t0},
                   {"total_ns", now_ns() - t0}});
        } catch (const std::exception& e) {
            reply({{"type", "error"}, {"status", 1}, {"message", e.what()}});
        }
    });
}

// Instead of loading the image: the snapshot's RAM, vCPU and devices, in
// the order VirtualMachine::restore gives.
void WorkerProcess::restore_snapshot() {
    const std::string& dir = config_.restore_dir;
    const nlohmann::json st = read_snapshot_state(dir);
    read_snapshot_memory(dir, st, vm_.ram());
    vm_.create_empty();
    try {
        vm_.restore(st);
    } catch (const vid::KvmError&) {
        throw;
    } catch (const std::exception& e) {
        throw SnapshotError(fmt::format("snapshot {} is corrupt: {}", dir, e.what()));
    }
}

}  // namespace ptv::worker
