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

namespace {

uint64_t host_clock(const void*) {
    return now_ns();
}

}  // namespace

NotificationDispatcher::NotificationDispatcher(const vmb::VirtualMotherboard& board)
    : board_(board),
      clock_(host_clock),
      inline_(std::make_unique<InlineDispatch>()),
      strategy_(inline_.get()) {}

NotificationDispatcher::~NotificationDispatcher() = default;

void NotificationDispatcher::set_clock(Clock clock, const void* context) {
    clock_ = clock;
    clock_context_ = context;
}

void NotificationDispatcher::enable_log(size_t capacity) {
    log_.emplace(capacity);
    path_ = std::make_unique<RequestPath>();
}

std::vector<uint16_t> NotificationDispatcher::targets() const {
    std::vector<uint16_t> t;
    for (size_t i = 0; i < board_.devices().size(); ++i) t.push_back(uint16_t(i));
    t.insert(t.end(), {kUnclaimedPio, kUnclaimedMmio, kVcpu});
    return t;
}

std::string NotificationDispatcher::target_name(uint16_t target) const {
    if (target < board_.devices().size()) return std::string(board_.devices()[target]->name());
    if (target == kUnclaimedPio) return "unclaimed-pio";
    if (target == kUnclaimedMmio) return "unclaimed-mmio";
    return "vcpu";
}

std::string NotificationDispatcher::target_kind(uint16_t target) const {
    if (target < board_.devices().size()) return std::string(board_.devices()[target]->kind());
    if (target == kVcpu) return "worker";
    return "none";
}

const Tally* NotificationDispatcher::special(uint16_t target) const {
    switch (target) {
        case kUnclaimedPio:
            return &unclaimed_pio_;
        case kUnclaimedMmio:
            return &unclaimed_mmio_;
        case kVcpu:
            return &vcpu_;
        default:
            return nullptr;
    }
}

Tally& NotificationDispatcher::tally(uint16_t target) {
    if (const Tally* s = special(target)) [[unlikely]]
        return const_cast<Tally&>(*s);  // one of our own members
    // A device that joined the board since the last look.
    if (target >= by_device_.size()) [[unlikely]]
        by_device_.resize(board_.devices().size());
    return by_device_[target];
}

const Tally& NotificationDispatcher::by_target(uint16_t target) const {
    static const Tally kNone{};
    if (const Tally* s = special(target)) return *s;
    return target < by_device_.size() ? by_device_[target] : kNone;
}

uint64_t NotificationDispatcher::total_exits() const {
    uint64_t n = 0;
    for (const auto& t : by_reason_) n += t.count;
    return n;
}

uint16_t NotificationDispatcher::route_io(Exit& exit, vmb::Space space, Notification& n) {
    const vmb::Claim* claim = board_.find(space, exit.address);
    if (!claim) [[unlikely]] {
        // Nothing answers on the bus: reads float high, as on a real PC.
        n.unclaimed = true;
        if (!exit.is_write) std::memset(exit.data, 0xff, size_t(exit.size) * exit.count);
        return space == vmb::Space::Pio ? kUnclaimedPio : kUnclaimedMmio;
    }
    Access access{space, claim->offset(exit.address), {}, exit.is_write};
    for (uint32_t i = 0; i < exit.count && !n.stop; ++i) {
        access.data = {exit.data + size_t(i) * exit.size, exit.size};
        n.stop = strategy_->deliver(*claim->device, access);
    }
    return claim->device_index;
}

uint64_t NotificationDispatcher::vcpu_exits(uint8_t vcpu) const {
    uint64_t n = 0;
    for (const auto& t : by_vcpu_[vcpu % kMaxVcpus]) n += t.count;
    return n;
}

Notification NotificationDispatcher::dispatch(Exit& exit) {
    std::lock_guard lock(lock_);
    Notification n;
    const uint64_t t_notify = log_ ? now() : 0;
    switch (exit.reason) {
        case ExitReason::PortIo:
            n.target = route_io(exit, vmb::Space::Pio, n);
            break;
        case ExitReason::Mmio:
            n.target = route_io(exit, vmb::Space::Mmio, n);
            break;
        default:
            n.target = kVcpu;  // the exit policy says what it means
    }
    const uint64_t t_done = now();
    const uint64_t ns = t_done - exit.t_exit_ns;
    Tally& r = by_reason_[size_t(exit.reason)];
    ++r.count;
    r.total_ns += ns;
    Tally& t = tally(n.target);
    ++t.count;
    t.total_ns += ns;
    Tally& v = by_vcpu_[exit.vcpu % kMaxVcpus][size_t(exit.reason)];
    ++v.count;
    v.total_ns += ns;
    if (log_) record(exit, n, t_notify, t_done);
    return n;
}

void NotificationDispatcher::record(const Exit& exit, Notification& n, uint64_t t_notify,
                                    uint64_t t_done) {
    NotificationRecord* rec = log_->claim();
    if (!rec) return;
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
    rec->vcpu = exit.vcpu;
    rec->code = exit.code;
    log_->publish();  // for the live stream's thread
    n.id = log_->size();
}

void NotificationDispatcher::set_guest_notifier(GuestNotifier notifier) {
    std::lock_guard lock(completion_lock_);
    notifier_ = std::move(notifier);
}

void NotificationDispatcher::complete(const vmb::Completion& c) {
    GuestNotifier notify;
    {
        std::lock_guard lock(completion_lock_);
        ++completion_count_;
        if (log_)
            completions_.push_back(
                {now(), c.notification, c.event, c.device, RequestPath::current_job(), c.vcpu});
        notify = notifier_;
    }
    if (notify) notify(c);
}

void NotificationDispatcher::count_doorbells(uint16_t target, uint64_t rings) {
    std::lock_guard lock(completion_lock_);
    if (target >= doorbells_.size()) doorbells_.resize(size_t(target) + 1);
    doorbells_[target] += rings;
}

uint64_t NotificationDispatcher::doorbells(uint16_t target) const {
    std::lock_guard lock(completion_lock_);
    return target < doorbells_.size() ? doorbells_[target] : 0;
}

uint64_t NotificationDispatcher::completions() const {
    std::lock_guard lock(completion_lock_);
    return completion_count_;
}

std::vector<CompletionRecord> NotificationDispatcher::completion_log() const {
    std::lock_guard lock(completion_lock_);
    return completions_;
}

}  // namespace ptv::vnd
