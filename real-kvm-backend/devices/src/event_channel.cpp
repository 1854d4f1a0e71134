#include "ptv/devices/event_channel.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ptv/portmap.h"

namespace ptv::devices {

static_assert(PTV_EVTCHN_OFF_POSTS >= PTV_EVTCHN_OFF_PENDING + 4 * PTV_MAX_VCPUS,
              "the counters follow the pending words");

namespace {

// Longest sleep wait() takes in one go: steady_clock's time point would
// overflow with nanoseconds::max().
constexpr std::chrono::hours kLongestWait{24 * 365};

bool page_fits(uint64_t gpa, size_t ram) {
    return gpa % PTV_EVTCHN_PAGE_SIZE == 0 && gpa <= ram && ram - gpa >= PTV_EVTCHN_PAGE_SIZE;
}

}  // namespace

EventChannel::EventChannel(vmb::Machine& m) : machine_(m) {}

void EventChannel::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_EVTCHN_PORT, PTV_EVTCHN_SIZE, *this);
}

void EventChannel::read(vmb::Space, uint64_t, std::span<uint8_t> data) {
    std::lock_guard lock(lock_);
    for (size_t i = 0; i < data.size(); ++i) data[i] = i < 8 ? uint8_t(page_ >> (8 * i)) : 0;
}

vmb::Response EventChannel::fail(std::string message) const {
    return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, std::string(name()),
                            std::move(message)};
}

vmb::Response EventChannel::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    if (offset != 0 || data.size() != 4)
        return fail(fmt::format(
            "port written with {} byte(s) at offset {}; bind the event page with a 32-bit OUT "
            "of its address",
            data.size(), offset));
    uint32_t gpa;
    std::memcpy(&gpa, data.data(), 4);
    const size_t ram = machine_.ram().size();
    if (gpa % PTV_EVTCHN_PAGE_SIZE != 0)
        return fail(fmt::format("event page address {:#x} is not 4 KiB aligned", gpa));
    if (!page_fits(gpa, ram))
        return fail(fmt::format("event page {:#x}-{:#x} lies outside the guest's {} MiB of RAM",
                                gpa, uint64_t(gpa) + PTV_EVTCHN_PAGE_SIZE - 1, ram >> 20));
    {
        std::lock_guard lock(lock_);
        page_ = gpa;  // 0: unbound (page 0 is the loader's, never an event page)
    }
    wake_.notify_all();  // a waiter re-reads the page it now has (or none)
    return {};
}

bool EventChannel::bound() const {
    std::lock_guard lock(lock_);
    return page_ != 0;
}

void EventChannel::post(uint32_t vcpu, uint32_t event) {
    {
        std::lock_guard lock(lock_);
        if (!page_ || vcpu >= PTV_MAX_VCPUS || event >= 32) {
            ++stats_.dropped;
            return;
        }
        uint8_t* p = machine_.ram().data() + page_;
        // The guest takes its bits with XCHG while we set others: an atomic
        // read-modify-write on the very word it reads (naturally aligned).
        std::atomic_ref<uint32_t> pending(
            *reinterpret_cast<uint32_t*>(p + PTV_EVTCHN_OFF_PENDING + 4 * vcpu));
        std::atomic_ref<uint32_t> posts(
            *reinterpret_cast<uint32_t*>(p + PTV_EVTCHN_OFF_POSTS + 4 * vcpu));
        pending.fetch_or(1u << event, std::memory_order_release);
        posts.fetch_add(1, std::memory_order_relaxed);
        machine_.mark_dirty(page_ + PTV_EVTCHN_OFF_PENDING + 4 * vcpu, 4);
        machine_.mark_dirty(page_ + PTV_EVTCHN_OFF_POSTS + 4 * vcpu, 4);
        ++stats_.posts;
    }
    // The bit is set before the waiter can re-check it under the mutex:
    // notifying after unlocking cannot lose the wake-up.
    wake_.notify_all();
}

uint32_t EventChannel::pending_locked(uint32_t vcpu) const {
    if (!page_ || vcpu >= PTV_MAX_VCPUS) return 0;
    uint8_t* p = machine_.ram().data() + page_;
    return std::atomic_ref<uint32_t>(
               *reinterpret_cast<uint32_t*>(p + PTV_EVTCHN_OFF_PENDING + 4 * vcpu))
        .load(std::memory_order_acquire);
}

uint32_t EventChannel::pending(uint32_t vcpu) const {
    std::lock_guard lock(lock_);
    return pending_locked(vcpu);
}

bool EventChannel::wait(uint32_t vcpu, std::chrono::nanoseconds timeout) {
    std::unique_lock lock(lock_);
    if (pending_locked(vcpu)) return true;
    if (vcpu >= PTV_MAX_VCPUS) return false;  // nothing could ever wake it
    uint64_t& seen = interrupts_seen_[vcpu];
    if (seen != interrupts_) {  // an interrupt() came since its last wait
        seen = interrupts_;
        return false;
    }
    ++stats_.waits;
    const auto span = timeout > kLongestWait
                          ? std::chrono::duration_cast<std::chrono::nanoseconds>(kLongestWait)
                          : timeout;
    // The predicate reads the page under the mutex that post() holds while
    // it sets the bit: no post can fall between this check and the sleep.
    wake_.wait_for(lock, span, [&] { return pending_locked(vcpu) != 0 || interrupts_ != seen; });
    seen = interrupts_;
    if (pending_locked(vcpu)) {
        ++stats_.wakes;
        return true;
    }
    return false;
}

void EventChannel::interrupt() {
    {
        std::lock_guard lock(lock_);
        ++interrupts_;
    }
    wake_.notify_all();
}

EventChannel::Stats EventChannel::stats() const {
    std::lock_guard lock(lock_);
    return stats_;
}

nlohmann::json EventChannel::save_state() const {
    std::lock_guard lock(lock_);
    return {{"page", page_}};
}

void EventChannel::load_state(const nlohmann::json& s) {
    const uint64_t page = s.at("page").get<uint64_t>();
    if (page != 0 && !page_fits(page, machine_.ram().size()))
        throw std::invalid_argument("event-channel: the record's page lies outside RAM");
    std::lock_guard lock(lock_);
    page_ = page;
}

}  // namespace ptv::devices
