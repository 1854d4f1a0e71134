// The para-virtualized clock: a page of guest RAM that the host keeps
// updated with the time, so a guest that knows it is virtualized reads the
// time with no exit at all -- the idea of KVM's kvmclock and Hyper-V's
// reference TSC page, where the 8254 PIT costs an exit per port access.
//
// The guest hands the page over once, with a 32-bit OUT of its guest-
// physical address to the doorbell (PTV_PVCLOCK_PORT); 0 turns the clock
// off, reading the doorbell gives the address back. The page must be 4 KiB
// aligned and lie inside RAM, else the access is a DeviceError naming what
// was wrong. Layout (ptv/portmap.h, PTV_PVCLOCK_OFF_*):
//   u32 version    a seqlock: odd while the host writes the page
//   u32 period_us  how often the host rewrites it
//   u64 time_ns    the machine's time since it started
//   u64 updates    how many times the host wrote it
// A guest reads version, time_ns, version again, and tries again when the
// two versions differ or are odd (Lameter's seqlock, as kvmclock's
// pvclock_vcpu_time_info).
//
// Who calls refresh() every kRefreshPeriodNs: the KVM worker, from a thread
// of its own; the CPU model, from its timer every 1 ms of model time. Each
// refresh is a write to guest RAM that the vCPU does not make, so it is
// marked dirty for live migration. time_ns continues across a snapshot or a
// migration: save_state() carries it, and load_state() goes on from it.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class PvClock : public vmb::Device {
  public:
    // How often the host rewrites the page: a guest sees the time in steps
    // of this (kvmclock avoids the steps by scaling the TSC; we have none
    // to scale in the CPU model).
    static constexpr uint64_t kRefreshPeriodNs = 1'000'000;

    explicit PvClock(vmb::Machine& machine);

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "pv-clock"; }
    std::string_view kind() const override { return "paravirtual"; }
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;

    // Writes the time into the page (nothing while no page is registered).
    // Any thread may call it.
    void refresh();
    // The same, with the time the machine had at `machine_ns` (<= now): for
    // a caller that runs a little after its deadline (the CPU model's
    // timer, in translated code, waits for the end of a block).
    void refresh_as_of(uint64_t machine_ns);
    // The machine's time since it started, as the page shows it.
    uint64_t time_ns() const;
    uint64_t page() const;
    uint64_t updates() const;

    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    vmb::Response fail(std::string message) const;
    void write_page_locked(uint64_t machine_ns);

    vmb::Machine& machine_;
    mutable std::mutex lock_;  // refresh() comes from another thread
    uint64_t offset_ns_;       // time_ns = machine time + offset (mod 2^64)
    uint64_t page_ = 0;        // guest-physical address; 0: off
    uint32_t version_ = 0;     // even between two writes
    uint64_t updates_ = 0;
};

}  // namespace ptv::devices
