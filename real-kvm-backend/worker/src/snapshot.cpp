// Pausing, resuming and snapshotting a running guest, and starting one from
// a snapshot: the worker's side of checkpoints (Hyper-V's VSS-writer role
// belongs to the service; the state capture is here, where the VM is).
//
// Requests arrive on the control thread and are carried out on the vCPU
// thread (post() kicks it out of KVM_RUN), so KVM's vCPU state is only ever
// touched by the thread that runs it, and only between two exits.
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "ptv/common/clock.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/vid/vcpu_state.hpp"
#include "ptv/worker/snapshot_file.hpp"
#include "ptv/worker/worker.hpp"

namespace ptv::worker {

void WorkerProcess::post(std::function<void()> job) {
    {
        std::lock_guard lock(jobs_lock_);
        jobs_.push_back(std::move(job));
        jobs_waiting_.store(true);
    }
    jobs_cv_.notify_all();
    if (vcpu_) vcpu_->kick();
}

// On the vCPU thread, at the top of the run loop. First the exit the guest
// is in the middle of is finished (an IN gets its value, RIP moves past the
// instruction), so what the jobs see is a state between two instructions;
// then the jobs run; while paused, the thread waits here for more.
void WorkerProcess::run_jobs() {
    vcpu_->complete_pending_io();
    std::unique_lock lock(jobs_lock_);
    for (;;) {
        while (!jobs_.empty()) {
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            lock.lock();
        }
        jobs_waiting_.store(false);
        if (!paused_.load() || external_.load() != External::None) return;
        // stop() may come from a signal handler, which cannot notify: wake
        // up now and then to look at it.
        jobs_cv_.wait_for(lock, std::chrono::milliseconds(50),
                          [this] { return !jobs_.empty() || external_.load() != External::None; });
    }
}

void WorkerProcess::pause(Reply reply) {
    post([this, reply = std::move(reply)] {
        paused_.store(true);
        // Stopped between two instructions, RAM holds still: its hash is
        // what a snapshot taken now records and a restore must give back.
        reply({{"type", "paused"},
               {"exits", exits_so_far()},
               {"memory_hash", memory_hash_text(memory_hash(memory_.span()))}});
    });
}

void WorkerProcess::resume(Reply reply) {
    post([this, reply = std::move(reply)] {
        paused_.store(false);
        reply({{"type", "resumed"}});
    });
}

nlohmann::json WorkerProcess::snapshot_state() {
    const vid::VcpuState cpu = vcpu_->save_state();
    nlohmann::json sections = nlohmann::json::object();
    for (const auto& [name, bytes] : cpu.sections()) sections[name] = hex_encode(bytes);
    return {{"vm", config_.name},
            {"image", config_.image_path},
            {"cmdline", config_.cmdline},
            {"memory_mib", config_.memory_mib},
            {"created_unix", std::time(nullptr)},
            {"exits", exits_so_far()},
            {"serial_bytes", serial_bytes_},
            {"vcpus", nlohmann::json::array({{{"id", vcpu_->id()}, {"sections", sections}}})},
            {"devices", devices_.save_state()}};
}

void WorkerProcess::snapshot(std::string dir, Reply reply) {
    post([this, dir = std::move(dir), reply = std::move(reply)] {
        const uint64_t t0 = now_ns();
        try {
            nlohmann::json state = snapshot_state();
            const uint64_t t_state = now_ns();
            write_snapshot(dir, state, memory_.span());
            reply({{"type", "snapshot"},
                   {"dir", dir},
                   {"memory_bytes", memory_.size()},
                   {"state_ns", t_state - t0},
                   {"total_ns", now_ns() - t0}});
        } catch (const std::exception& e) {
            reply({{"type", "error"}, {"status", 1}, {"message", e.what()}});
        }
    });
}

// Instead of loading the image: the snapshot's RAM, vCPU and devices. The
// order follows vid::Vcpu::restore_state (CPUID, SREGS, REGS, ..., events).
void WorkerProcess::restore_snapshot() {
    const std::string& dir = config_.restore_dir;
    const nlohmann::json st = read_snapshot_state(dir);
    read_snapshot_memory(dir, st, memory_.span());
    vm_.map_memory(0, 0, memory_);
    try {
        restore_machine(st);
    } catch (const vid::KvmError&) {
        throw;
    } catch (const std::exception& e) {
        throw SnapshotError(fmt::format("snapshot {} is corrupt: {}", dir, e.what()));
    }
}

// The vCPU, then the devices, from a snapshot's or a migration's state.
// Memory is in place already: KVM may read guest memory as soon as the
// segment and control registers are set. The vCPU's own order (CPUID before
// anything that depends on the features it grants, SREGS before REGS, the
// pending events last) is vid::Vcpu::restore_state's. Devices come after
// the vCPU and before it first runs: no device may talk to a vCPU that is
// not whole, and the guest's first instruction may talk to a device.
void WorkerProcess::restore_machine(const nlohmann::json& st) {
    vid::VcpuState::Sections sections;
    const auto& cpu = st["vcpus"].at(0);
    for (const auto& [name, hex] : cpu.at("sections").items())
        sections[name] = hex_decode(hex.get<std::string>());
    if (!vcpu_) vcpu_ = std::make_unique<vid::Vcpu>(vm_, cpu.at("id").get<int>());
    vcpu_->restore_state(vid::VcpuState::from_sections(sections));
    devices_.load_state(st["devices"]);
    serial_bytes_ = st.value("serial_bytes", uint64_t(0));
}

}  // namespace ptv::worker
