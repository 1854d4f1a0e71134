// A VGA in text mode 3 (IBM VGA Technical Reference): 80x25 characters in
// 16 colours, the screen every PC boots into. Two halves that cost very
// differently:
//
//  - The text buffer is plain guest RAM at 0xB8000 (PTV_VGA_TEXT_BASE):
//    the guest writes characters with ordinary stores, which never leave
//    the guest -- no exit, no device code. The console reads the buffer
//    from RAM when it draws (capture()), the way the VGA's scan-out reads
//    its video memory, while the vCPU runs on.
//  - The registers are port I/O in 0x3C0-0x3DF and each access is an exit:
//    the CRT controller (index 0x3D4, data 0x3D5) with the cursor and the
//    start address, input status 1 (0x3DA) that a guest polls for the
//    vertical retrace, and the attribute controller, sequencer, graphics
//    controller and misc output, whose registers are kept and read back
//    but change nothing on this text screen.
//
// Not emulated: graphics modes, the DAC (0x3C6-0x3C9) and the fonts; ports
// of the block without a register read 0xFF and ignore writes. The CRTC
// stays at 0x3D4 whatever misc output bit 0 says (a real VGA moves it to
// 0x3B4 for a monochrome monitor).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

#include "ptv/common/vga_screen.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class VgaText : public vmb::Device {
  public:
    // Powers up as the BIOS leaves the card after setting mode 3.
    explicit VgaText(vmb::Machine& machine);

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "vga"; }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override;

    // The screen now: the 80x25 cells from guest RAM at 0xB8000 + 2 * start
    // address (wrapping inside the 32 KiB window) and the cursor from the
    // CRTC. Any thread may call it while the vCPU runs: the registers are
    // read under their lock, the cells as they are in RAM at that moment
    // (a frame the guest is half-way through drawing is shown as it is, as
    // the real scan-out would).
    VgaScreen capture() const;

    // Every register and the attribute controller's flip-flop.
    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

    // Register counts (IBM VGA Technical Reference).
    static constexpr size_t kCrtcRegisters = 0x19;
    static constexpr size_t kSequencerRegisters = 0x05;
    static constexpr size_t kGraphicsRegisters = 0x09;
    static constexpr size_t kAttributeRegisters = 0x15;

  private:
    uint8_t read_port(unsigned port);
    void write_port(unsigned port, uint8_t value);
    uint8_t input_status_1() const;

    vmb::Machine& machine_;
    // Written by the vCPU thread, read by capture() on the console's.
    mutable std::mutex lock_;
    // The registers, by index (their reset values are in vga_text.cpp).
    std::array<uint8_t, kCrtcRegisters> crtc_;
    std::array<uint8_t, kSequencerRegisters> seq_;
    std::array<uint8_t, kGraphicsRegisters> gc_;
    std::array<uint8_t, kAttributeRegisters> attr_;
    uint8_t crtc_index_ = 0, seq_index_ = 0, gc_index_ = 0;
    uint8_t attr_index_ = 0;       // bits 0-4 index, bit 5 palette address source
    bool attr_flip_flop_ = false;  // false: the next 0x3C0 write is an index
    uint8_t misc_ = 0, feature_ = 0;
};

}  // namespace ptv::devices
