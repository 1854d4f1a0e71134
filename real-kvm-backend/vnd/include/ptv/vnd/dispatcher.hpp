// The notification dispatcher (Hyper-V's VND). Every VM exit becomes a
// notification routed to whoever registered for it:
//   - port I/O and MMIO go to the device that claimed the address on the
//     virtual motherboard (an unclaimed read returns all ones, an unclaimed
//     write is dropped; both are counted and traced as unclaimed);
//   - HLT, shutdown, internal error, failed entry and the rest go to the
//     handler registered for that reason (the worker's policy), whose answer
//     says whether the vCPU resumes.
// Every notification is counted (count and handling time per reason and per
// target) and, when tracing, recorded into a preallocated buffer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ptv/common/record_buffer.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/exit.hpp"

namespace ptv::vnd {

enum class Action : uint8_t { Resume, Stop };

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
    std::array<uint8_t, 32> code;
};

struct Tally {
    uint64_t count = 0;
    uint64_t total_ns = 0;
};

struct Notification {
    Action action = Action::Resume;
    uint16_t target = 0;     // device index, or one of the special targets below
    bool unclaimed = false;  // no device claimed the address
};

class NotificationDispatcher {
  public:
    using Handler = std::function<Action(const Exit&)>;

    // The board's devices must all be attached before the first dispatch.
    explicit NotificationDispatcher(const vmb::VirtualMotherboard& board);

    // Registers the handler for a non-I/O exit reason. A reason with no
    // handler stops the VM.
    void on(ExitReason reason, Handler handler);

    // Turns on the notification log (the trace), preallocating `capacity`
    // records. Off by default: the exit path then only counts.
    void enable_log(size_t capacity);
    bool logging() const { return log_.has_value(); }

    // Routes one exit and accounts for it; handling time runs from
    // exit.t_exit_ns to the handler's return.
    Notification dispatch(Exit& exit);

    // Targets: 0..devices-1 are the board's devices; then these.
    uint16_t unclaimed_pio_target() const { return n_devices_; }
    uint16_t unclaimed_mmio_target() const { return uint16_t(n_devices_ + 1); }
    uint16_t vcpu_target() const { return uint16_t(n_devices_ + 2); }
    size_t target_count() const { return n_devices_ + 3u; }
    std::string target_name(uint16_t target) const;
    std::string target_kind(uint16_t target) const;

    const Tally& by_reason(ExitReason r) const { return by_reason_[size_t(r)]; }
    const Tally& by_target(uint16_t t) const { return by_target_[t]; }
    uint64_t total_exits() const;
    const RecordBuffer<NotificationRecord>* log() const { return log_ ? &*log_ : nullptr; }

  private:
    uint16_t route_io(Exit& exit, vmb::Space space, bool& unclaimed);

    const vmb::VirtualMotherboard& board_;
    uint16_t n_devices_;
    std::array<Handler, size_t(ExitReason::kCount)> handlers_;
    std::array<Tally, size_t(ExitReason::kCount)> by_reason_{};
    std::vector<Tally> by_target_;
    std::optional<RecordBuffer<NotificationRecord>> log_;
};

}  // namespace ptv::vnd
