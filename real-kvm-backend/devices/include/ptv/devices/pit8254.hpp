// The Intel 8254 Programmable Interval Timer (datasheet order no. 231164),
// the PC's timer since the AT, with System Control Port B (port 0x61),
// which gates counter 2 and hands its OUT back, as the AT's 8255 did.
//
// Ports (ptv/portmap.h): 0x40-0x42 counters 0-2 (pit_counter.hpp: one
// counter's logic, all six modes, latches and flip-flops), 0x43 the Control
// Word register, 0x61 Port B. Counting is derived from the machine's time
// (vmb::Machine::now_ns()) at 1.193182 MHz: the host's monotonic clock on
// KVM, so a guest's delay loop takes real time, and the model's time in the
// CPU model, so a run there is the same every time. The counters advance
// between exits without anybody computing them.
//
// Control Word (A1A0 = 11), SC1 SC0 RW1 RW0 M2 M1 M0 BCD:
//   SC = 00/01/10: program counter SC; RW = 00 is the Counter Latch Command.
//   SC = 11: Read-Back Command, bits 5 !COUNT, 4 !STATUS, 3-1 CNT2..CNT0
//   (bit 0 is reserved: ignored).
// Port B: bit 0 counter 2's GATE and bit 1 speaker data enable (read back
// as written, with bits 2-3), bit 4 the refresh-request toggle (flips every
// 15.085 us of machine time), bit 5 counter 2's OUT; bits 6-7 read 0.
// Counters 0 and 1 have their GATE tied high, as on a PC.
//
// No interrupt is raised: counter 0's OUT is not wired to an IRQ here (the
// kit injects no interrupts on this host), so guests poll the counters, as
// grub-invaders does.
//
// Whatever the guest writes is harmless and does what the datasheet says:
// every byte 0x00-0xFF written to 0x43 is a Control Word, a Counter Latch or
// a Read-Back Command (110 and 111 in the mode bits are modes 2 and 3; a
// Read-Back selecting no counter does nothing); a count with BCD digits
// above 9 counts each nibble at its face value (0xA = 10), modulo 10000.
// Reading 0x43 gives 0xFF (the datasheet's "no-operation, 3-state").
// Accesses wider than a byte reach consecutive ports, as on the ISA bus;
// bytes beyond 0x43 or 0x61 are dropped on write and read as 0xFF. Nothing
// the guest does stops the machine.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "ptv/devices/pit_counter.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class Pit8254 : public vmb::Device {
  public:
    // Port B's refresh-request toggle period (the AT's DRAM refresh, 15.085 us).
    static constexpr uint64_t kRefreshToggleNs = 15'085;

    // Port B starts at 0: counter 2's GATE is low until the guest raises it.
    explicit Pit8254(vmb::Machine& machine) : machine_(machine) { counters_[2].set_gate(false, 0); }

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "pit"; }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override;

    // The speaker's tone: counter 2 in mode 3 with GATE and speaker data
    // enabled, in Hz. Any thread may ask (the console shows it).
    std::optional<double> speaker_hz() const;

    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    // Offsets of the registers across the device's two claims.
    static constexpr uint64_t kControl = 3;
    static constexpr uint64_t kPortB = 0x21;  // 0x61 - 0x40

    uint8_t read_reg(uint64_t offset, uint64_t now);
    void write_reg(uint64_t offset, uint8_t value, uint64_t now);
    void write_control(uint8_t value, uint64_t now);

    vmb::Machine& machine_;
    mutable std::mutex lock_;  // speaker_hz() comes from another thread
    std::array<PitCounter, 3> counters_;
    uint8_t port_b_ = 0;  // bits 0-3 as written
};

}  // namespace ptv::devices
