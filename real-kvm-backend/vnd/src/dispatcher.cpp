#include "ptv/vnd/dispatcher.hpp"

#include <algorithm>
#include <cstring>

#include "ptv/common/clock.hpp"

namespace ptv::vnd {

std::string_view reason_name(ExitReason reason) {
    switch (reason) {
        case ExitReason::PortIo:
            return "io";
        case ExitReason::Mmio:
            return "mmio";
        case ExitReason::Hlt:
            return "hlt";
        case ExitReason::Shutdown:
            return "shutdown";
        case ExitReason::InternalError:
            return "internal-error";
        case ExitReason::FailEntry:
            return "fail-entry";
        case ExitReason::Interrupted:
            return "interrupted";
        case ExitReason::Unknown:
        case ExitReason::kCount:
            break;
    }
    return "unknown";
}

NotificationDispatcher::NotificationDispatcher(const vmb::VirtualMotherboard& board)
    : board_(board), n_devices_(uint16_t(board.devices().size())), by_target_(n_devices_ + 3u) {}

void NotificationDispatcher::on(ExitReason reason, Handler handler) {
    handlers_[size_t(reason)] = std::move(handler);
}

void NotificationDispatcher::enable_log(size_t capacity) {
    log_.emplace(capacity);
}

std::string NotificationDispatcher::target_name(uint16_t target) const {
    if (target < n_devices_) return std::string(board_.devices()[target]->name());
    if (target == unclaimed_pio_target()) return "unclaimed-pio";
    if (target == unclaimed_mmio_target()) return "unclaimed-mmio";
    return "vcpu";
}

std::string NotificationDispatcher::target_kind(uint16_t target) const {
    if (target < n_devices_) return std::string(board_.devices()[target]->kind());
    if (target == vcpu_target()) return "worker";
    return "none";
}

uint64_t NotificationDispatcher::total_exits() const {
    uint64_t n = 0;
    for (const auto& t : by_reason_) n += t.count;
    return n;
}

uint16_t NotificationDispatcher::route_io(Exit& exit, vmb::Space space, bool& unclaimed) {
    const vmb::Claim* claim = board_.find(space, exit.address);
    if (!claim) [[unlikely]] {
        // Nothing answers on the bus: reads float high, as on a real PC.
        unclaimed = true;
        if (!exit.is_write) std::memset(exit.data, 0xff, size_t(exit.size) * exit.count);
        return space == vmb::Space::Pio ? unclaimed_pio_target() : unclaimed_mmio_target();
    }
    const uint64_t offset = exit.address - claim->base;
    for (uint32_t i = 0; i < exit.count; ++i) {
        uint8_t* item = exit.data + size_t(i) * exit.size;
        if (exit.is_write)
            claim->device->write(space, offset, {item, exit.size});
        else
            claim->device->read(space, offset, {item, exit.size});
    }
    return claim->device_index;
}

Notification NotificationDispatcher::dispatch(Exit& exit) {
    Notification n;
    const uint64_t t_notify = log_ ? now_ns() : 0;
    switch (exit.reason) {
        case ExitReason::PortIo:
            n.target = route_io(exit, vmb::Space::Pio, n.unclaimed);
            break;
        case ExitReason::Mmio:
            n.target = route_io(exit, vmb::Space::Mmio, n.unclaimed);
            break;
        default: {
            const Handler& h = handlers_[size_t(exit.reason)];
            n.target = vcpu_target();
            n.action = h ? h(exit) : Action::Stop;
        }
    }
    const uint64_t t_done = now_ns();
    const uint64_t ns = t_done - exit.t_exit_ns;
    Tally& r = by_reason_[size_t(exit.reason)];
    ++r.count;
    r.total_ns += ns;
    Tally& t = by_target_[n.target];
    ++t.count;
    t.total_ns += ns;

    if (log_) {
        if (NotificationRecord* rec = log_->claim()) {
            rec->t_exit = exit.t_exit_ns;
            rec->t_notify = t_notify;
            rec->t_done = t_done;
            rec->address = exit.address;
            rec->data = 0;
            if (exit.data)
                std::memcpy(&rec->data, exit.data, std::min<size_t>(exit.size, sizeof rec->data));
            rec->rip = exit.rip;
            rec->count = exit.count;
            rec->target = n.target;
            rec->reason = exit.reason;
            rec->size = exit.size;
            rec->is_write = exit.is_write;
            rec->unclaimed = n.unclaimed;
            rec->has_code = exit.has_code;
            rec->code_len = exit.code_len;
            rec->code_rip_offset = exit.code_rip_offset;
            rec->cpu_mode = exit.cpu_mode;
            rec->code = exit.code;
            log_->publish();  // for the live stream's thread
        }
    }
    return n;
}

}  // namespace ptv::vnd
