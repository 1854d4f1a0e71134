#include "ptv/devices/pv_clock.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ptv/portmap.h"

namespace ptv::devices {

static_assert(PvClock::kRefreshPeriodNs % 1000 == 0, "period_us holds whole microseconds");

PvClock::PvClock(vmb::Machine& machine) : machine_(machine), offset_ns_(0 - machine.now_ns()) {}

void PvClock::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_PVCLOCK_PORT, PTV_PVCLOCK_SIZE, *this);
}

void PvClock::read(vmb::Space, uint64_t, std::span<uint8_t> data) {
    const uint64_t gpa = page();
    for (size_t i = 0; i < data.size(); ++i) data[i] = i < 8 ? uint8_t(gpa >> (8 * i)) : 0;
}

vmb::Response PvClock::fail(std::string message) const {
    return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, std::string(name()),
                            std::move(message)};
}

vmb::Response PvClock::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    if (offset != 0 || data.size() != 4)
        return fail(fmt::format(
            "doorbell written with {} byte(s) at offset {}; register the clock page with a "
            "32-bit OUT of its address",
            data.size(), offset));
    uint32_t gpa;
    std::memcpy(&gpa, data.data(), 4);
    const size_t ram = machine_.ram().size();
    if (gpa % PTV_PVCLOCK_PAGE_SIZE != 0)
        return fail(fmt::format("clock page address {:#x} is not 4 KiB aligned", gpa));
    if (gpa > ram || ram - gpa < PTV_PVCLOCK_PAGE_SIZE)
        return fail(fmt::format("clock page {:#x}-{:#x} lies outside the guest's {} MiB of RAM",
                                gpa, gpa + PTV_PVCLOCK_PAGE_SIZE - 1, ram >> 20));
    std::lock_guard lock(lock_);
    page_ = gpa;  // 0: off (page 0 is the loader's, never a clock page)
    if (page_) write_page_locked(machine_.now_ns());
    return {};
}

void PvClock::refresh() {
    refresh_as_of(machine_.now_ns());
}

void PvClock::refresh_as_of(uint64_t machine_ns) {
    std::lock_guard lock(lock_);
    if (page_) write_page_locked(machine_ns);
}

void PvClock::write_page_locked(uint64_t machine_ns) {
    uint8_t* p = machine_.ram().data() + page_;
    // The guest reads this page while we write it, so every field is an
    // atomic access (the page is 4 KiB aligned, every field naturally).
    std::atomic_ref<uint32_t> version(*reinterpret_cast<uint32_t*>(p + PTV_PVCLOCK_OFF_VERSION));
    std::atomic_ref<uint32_t> period(*reinterpret_cast<uint32_t*>(p + PTV_PVCLOCK_OFF_PERIOD_US));
    std::atomic_ref<uint64_t> time(*reinterpret_cast<uint64_t*>(p + PTV_PVCLOCK_OFF_TIME_NS));
    std::atomic_ref<uint64_t> updates(*reinterpret_cast<uint64_t*>(p + PTV_PVCLOCK_OFF_UPDATES));
    // Seqlock write side: odd version, fence, the data, even version with
    // release, so a reader that saw the even version sees the data too.
    version.store(version_ + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    period.store(uint32_t(kRefreshPeriodNs / 1000), std::memory_order_relaxed);
    time.store(machine_ns + offset_ns_, std::memory_order_relaxed);
    updates.store(++updates_, std::memory_order_relaxed);
    version_ += 2;
    version.store(version_, std::memory_order_release);
    machine_.mark_dirty(page_, PTV_PVCLOCK_OFF_UPDATES + 8);
}

uint64_t PvClock::time_ns() const {
    std::lock_guard lock(lock_);
    return machine_.now_ns() + offset_ns_;
}

uint64_t PvClock::page() const {
    std::lock_guard lock(lock_);
    return page_;
}

uint64_t PvClock::updates() const {
    std::lock_guard lock(lock_);
    return updates_;
}

nlohmann::json PvClock::save_state() const {
    std::lock_guard lock(lock_);
    return {{"page", page_},
            {"version", version_},
            {"updates", updates_},
            {"time_ns", machine_.now_ns() + offset_ns_}};
}

void PvClock::load_state(const nlohmann::json& s) {
    const uint64_t page = s.at("page").get<uint64_t>();
    const uint32_t version = s.at("version").get<uint32_t>();
    const uint64_t updates = s.at("updates").get<uint64_t>();
    const uint64_t time = s.at("time_ns").get<uint64_t>();
    const size_t ram = machine_.ram().size();
    if (page % PTV_PVCLOCK_PAGE_SIZE != 0 || page > ram || ram - page < PTV_PVCLOCK_PAGE_SIZE ||
        version % 2 != 0)
        throw std::invalid_argument("pv-clock: the record's page or version is impossible");
    std::lock_guard lock(lock_);
    page_ = page;
    version_ = version;
    updates_ = updates;
    offset_ns_ = time - machine_.now_ns();  // the time goes on from where it was
}

}  // namespace ptv::devices
