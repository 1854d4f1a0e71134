// The notification dispatcher (Hyper-V's VND). Every VM exit becomes a
// notification routed to whoever registered for it:
//   - port I/O and MMIO go to the device that claimed the address on the
//     virtual motherboard (an unclaimed read returns all ones, an unclaimed
//     write is dropped; both are counted and traced as unclaimed); how the
//     access reaches the device is the dispatch strategy's business;
//   - every other exit goes to the vCPU itself: the exit policy
//     (exit_policy.hpp) says what it means.
// With several vCPUs, one exit at a time is on the board (QEMU's big lock):
// devices are written for one caller at a time, and so are the counters and
// the log. A vCPU waits for the lock only while another is in a device; the
// guests' own code runs in parallel.
// Every notification is counted (count and handling time per reason and per
// target) and, when tracing, recorded into a preallocated buffer, on the
// clock the dispatcher was given (the host's for KVM, the model's for the
// CPU model). A device that finishes work later completes the notification
// (complete()), and that is traced too.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ptv/common/record_buffer.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/dispatch_strategy.hpp"
#include "ptv/vnd/exit.hpp"
#include "ptv/vnd/request_path.hpp"

namespace ptv::vnd {

// One handled exit, as the dispatcher's log keeps it.
struct NotificationRecord {
    uint64_t t_exit, t_notify, t_done;  // ns: left the guest, handler called, handled
    uint64_t address, data, rip;        // data: the first (up to) 8 bytes
    uint32_t count;
    uint16_t target;
    ExitReason reason;
    uint8_t size;
    bool is_write, unclaimed, has_code;
    uint8_t code_len, code_rip_offset, cpu_mode;
    uint8_t vcpu;  // the vCPU that left the guest
    std::array<uint8_t, 32> code;
};

// A completion, as the log keeps it (see complete()).
struct CompletionRecord {
    uint64_t t_ns;
    uint64_t notification;  // the record id it completes (0: none)
    uint32_t event;
    uint16_t target;
    uint64_t job = 0;   // the back end's job that made it (request_path.hpp; 0: none)
    uint32_t vcpu = 0;  // the vCPU told
};

struct Tally {
    uint64_t count = 0;
    uint64_t total_ns = 0;
};

// What became of one exit.
struct Notification {
    uint64_t id = 0;         // 1-based place in the log (0: not logged)
    uint16_t target = 0;     // device index, or one of the special targets below
    bool unclaimed = false;  // no device claimed the address
    // The device asked to end the run (debug-exit, a device error): the exit
    // policy turns it into the outcome.
    vmb::Response stop;
};

class NotificationDispatcher {
  public:
    // Nanoseconds on the run's clock: now_ns for KVM, the model's
    // instruction count for the CPU model.
    using Clock = uint64_t (*)(const void* context);

    // Devices may join the board at any time; each is counted from its
    // first access. The default clock is ptv::now_ns; the default strategy
    // delivers inline (InlineDispatch).
    explicit NotificationDispatcher(const vmb::VirtualMotherboard& board);
    ~NotificationDispatcher();

    const vmb::VirtualMotherboard& board() const { return board_; }
    void set_clock(Clock clock, const void* context);
    uint64_t now() const { return clock_(clock_context_); }
    // The strategy that carries accesses to devices; the dispatcher does
    // not own it.
    void set_strategy(DispatchStrategy& strategy) { strategy_ = &strategy; }
    // Back to the dispatcher's own inline strategy (before the one set is
    // destroyed).
    void reset_strategy() { strategy_ = inline_.get(); }
    DispatchStrategy& strategy() { return *strategy_; }
    const DispatchStrategy& strategy() const { return *strategy_; }

    // Turns on the notification log (the trace), preallocating `capacity`
    // records. Off by default: the exit path then only counts.
    void enable_log(size_t capacity);
    bool logging() const { return log_.has_value(); }
    // The back end's part of each request's path, kept with the log
    // (request_path.hpp); null while not tracing.
    RequestPath* path() { return path_.get(); }
    const RequestPath* path() const { return path_.get(); }

    // Routes one exit and accounts for it; handling time runs from
    // exit.t_exit_ns to the device's return.
    Notification dispatch(Exit& exit);

    // The completion half of a notification, from any thread: counted,
    // logged when tracing, then handed to the guest notifier (how the guest
    // learns of it on this host), if one is set.
    void complete(const vmb::Completion& completion);
    using GuestNotifier = std::function<void(const vmb::Completion&)>;
    void set_guest_notifier(GuestNotifier notifier);
    uint64_t completions() const;
    std::vector<CompletionRecord> completion_log() const;

    // Doorbells the host took without an exit (KVM's ioeventfd): `rings`
    // writes of the guest to device `target`'s doorbell, counted from the
    // thread that read the eventfd. The exit table shows them beside the
    // device's exits, which they replace.
    void count_doorbells(uint16_t target, uint64_t rings);
    uint64_t doorbells(uint16_t target) const;

    // Targets: the board's devices by index, then these three.
    static constexpr uint16_t kUnclaimedPio = 0xfffd;
    static constexpr uint16_t kUnclaimedMmio = 0xfffe;
    static constexpr uint16_t kVcpu = 0xffff;
    // Every target, devices first, in the order the exit table shows them.
    std::vector<uint16_t> targets() const;
    std::string target_name(uint16_t target) const;
    std::string target_kind(uint16_t target) const;

    const Tally& by_reason(ExitReason r) const { return by_reason_[size_t(r)]; }
    // One vCPU's exits by reason (vCPU numbers from 0 to kMaxVcpus - 1).
    static constexpr size_t kMaxVcpus = 8;
    const Tally& by_vcpu(uint8_t vcpu, ExitReason r) const {
        return by_vcpu_[vcpu % kMaxVcpus][size_t(r)];
    }
    uint64_t vcpu_exits(uint8_t vcpu) const;
    // How many vCPUs the machine has (the trace gives each a track).
    void set_vcpus(uint8_t n) { vcpus_ = n; }
    uint8_t vcpus() const { return vcpus_; }
    const Tally& by_target(uint16_t t) const;
    uint64_t total_exits() const;
    const RecordBuffer<NotificationRecord>* log() const { return log_ ? &*log_ : nullptr; }

  private:
    uint16_t route_io(Exit& exit, vmb::Space space, Notification& n);
    Tally& tally(uint16_t target);
    const Tally* special(uint16_t target) const;  // the three non-device targets
    void record(const Exit& exit, Notification& n, uint64_t t_notify, uint64_t t_done);

    const vmb::VirtualMotherboard& board_;
    Clock clock_;
    const void* clock_context_ = nullptr;
    std::unique_ptr<DispatchStrategy> inline_;
    DispatchStrategy* strategy_;
    uint8_t vcpus_ = 1;
    std::mutex lock_;  // the big lock: dispatch() is one exit at a time
    std::array<Tally, size_t(ExitReason::kCount)> by_reason_{};
    std::array<std::array<Tally, size_t(ExitReason::kCount)>, kMaxVcpus> by_vcpu_{};
    std::vector<Tally> by_device_;  // grows as devices join the board
    Tally unclaimed_pio_, unclaimed_mmio_, vcpu_;
    std::optional<RecordBuffer<NotificationRecord>> log_;

    mutable std::mutex completion_lock_;
    std::vector<CompletionRecord> completions_;
    uint64_t completion_count_ = 0;
    std::vector<uint64_t> doorbells_;  // by device index
    std::unique_ptr<RequestPath> path_;
    GuestNotifier notifier_;
};

}  // namespace ptv::vnd
