// The keyboard controller of the PC/AT, an Intel 8042 (IBM PC AT Technical
// Reference, "Keyboard Controller"; the PS/2 controller's commands 0xA7,
// 0xA8 and 0xD2 beside the AT's), with a keyboard on its keyboard port
// (IBM 101/102-Key Keyboard, "Commands from the System") that sends scan
// code set 1 (scancodes.hpp). Terms are those of the references: the
// controller's output buffer is the byte the guest reads at port 0x60, its
// input buffer what the guest writes there or at 0x64; the "command byte"
// is the controller's configuration byte.
//
// Ports (guests/include/ptv/portmap.h): 0x60 data, 0x64 status (read) and
// controller command (write). Port 0x61 between them is not this device's.
//
// Status register (port 0x64, read):
//   bit 0  output buffer full: set exactly when a byte waits at 0x60
//   bit 1  input buffer full: always 0, commands are taken at once
//   bit 2  system flag: the command byte's bit 2 (1 after the self-test)
//   bit 3  command/data: the last write went to 0x64 (1) or 0x60 (0)
//   bit 4  inhibit switch: 1, the keyboard is not locked
//   bits 5-7 (transmit/receive time-out, parity error) 0
//
// Controller commands (port 0x64, write): 0x20 read the command byte;
// 0x60 write it (the next byte at 0x60); 0xAA self-test, answers 0x55;
// 0xAB keyboard interface test, answers 0x00; 0xAD / 0xAE disable /
// enable the keyboard interface (command byte bit 4); 0xA7 / 0xA8 disable
// / enable the auxiliary port (command byte bit 5; there is no mouse);
// 0xD0 read the output port; 0xD1 write it (the next byte at 0x60: bit 0
// clear resets the processor); 0xD2 write the keyboard output buffer (the
// next byte at 0x60 comes back as if the keyboard had sent it);
// 0xF0-0xFF pulse the output port's bits 0-3 low where the command's bits
// are 0 (0xFE: bit 0, the reset line). Any other command is ignored and
// counted (ignored_commands()): nothing is answered, nothing changes.
//
// Keyboard commands (port 0x60, write, unless a controller command waits
// for its parameter there): 0xFF reset, answers 0xFA then 0xAA (self-test
// passed); 0xF4 enable scanning / 0xF5 disable scanning (and restore the
// defaults), answer 0xFA and clear the keyboard's buffer; 0xF6 set
// defaults, 0xFA; 0xED set the LEDs, 0xFA, then its parameter, 0xFA; 0xEE
// echo, answers 0xEE; 0xF2 identify, 0xFA 0xAB 0x83 (an MF2 keyboard's
// ID, as the keyboard sends it: replies are not translated here);
// 0xF0 select the scan code set, 0xFA, then its parameter, 0xFA (and 0x01
// for parameter 0, "which set": this keyboard speaks set 1 only, other
// sets are acknowledged and not taken); 0xF3 typematic rate/delay, 0xFA,
// parameter 0xFA; 0xFE resend, the keyboard's last byte again. Anything
// else answers 0xFE (resend), as the keyboard does for an invalid command.
//
// Keys: press() schedules a key's make code at a time and its break code
// kKeyHoldNs later. Pending presses wait, in time order, until the guest
// reads port 0x60 or 0x64 at or after their time; then their codes move
// into the keyboard's buffer (pull-based: no thread, no timer). That
// buffer holds 16 bytes, as the keyboard's FIFO; a key whose codes do not
// fit is dropped (dropped_key_bytes()) and one overrun code takes the
// 17th position; until the guest has read it, nothing more is taken. In
// scan code set 1 the overrun code is 0xFF (IBM 101/102-Key Keyboard, in
// the PC XT Technical Reference: "Keyboard Buffer", p. 4-24, and
// "Overrun (Hex FF)", p. 4-27; the AT keyboard's own set sends 0x00,
// PC AT Technical Reference, "Keyboard Buffer"). That is the keyboard's
// documented answer to a flood of keys. Replies to commands do not take buffer positions (the same
// reference), and are bounded the same way: a guest that floods the
// controller or the keyboard with commands and never reads gets the first
// kReplyLimit replies, the rest are dropped and counted
// (dropped_replies()). While the keyboard interface is disabled (0xAD, or
// command byte bit 4), the keyboard's bytes wait in its buffer; the
// controller's own replies still come. There is no IRQ 1: this machine
// has no interrupt controller for it, so guests poll the status register
// (as grub-invaders does).
//
// Threads: press() is called by the worker's input thread (or before the
// run, for a key script); read(), write(), save_state() and load_state()
// by the vCPU thread. One lock guards everything.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

#include "ptv/devices/scancodes.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class I8042 : public vmb::Device {
  public:
    // How long a pressed key stays down before its break code. A terminal
    // repeats a held key every 30-40 ms (after its first delay), so 100 ms
    // keeps the key down from one repeat to the next: a repeat of a key not
    // yet released sends another make code and moves the release later, as
    // the keyboard's typematic repeat does.
    static constexpr uint64_t kKeyHoldNs = 100'000'000;
    // The keyboard's FIFO (IBM 101/102-Key Keyboard, "Keyboard Buffer").
    static constexpr size_t kKeyboardBufferSize = 16;
    // Replies waiting to be read, per source (the controller, the keyboard).
    static constexpr size_t kReplyLimit = 16;
    // Presses waiting for their time; beyond it a press is dropped.
    static constexpr size_t kPendingLimit = 256;
    // Power-on values: the command byte as a BIOS leaves it (keyboard
    // interrupt enabled, system flag set, auxiliary port disabled, set 1
    // translation on); the output port with the reset line high and A20 on.
    static constexpr uint8_t kCommandByteDefault = 0x65;
    static constexpr uint8_t kOutputPortDefault = 0x03;
    // The keyboard's typematic default: 10.9 characters/s after 500 ms.
    static constexpr uint8_t kTypematicDefault = 0x2b;

    explicit I8042(vmb::Machine& machine) : machine_(machine) {}

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "i8042"; }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override;

    // Presses `key` at max(now, at_ns) of the machine's time (now_ns()),
    // releases it kKeyHoldNs later. Presses of one key are taken in time
    // order: one earlier than that key's last press counts at that press's
    // time. Any thread.
    void press(Key key, uint64_t at_ns = 0);

    uint64_t ignored_commands() const;
    uint64_t dropped_key_bytes() const;
    uint64_t dropped_replies() const;
    uint64_t dropped_presses() const;

    // Registers, buffers and the pending presses (their times relative to
    // now, so a restored machine with another clock presses them as late).
    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    // What the next byte written to port 0x60 is for: a controller
    // command's parameter, or else the keyboard's (a parameter, or else a
    // command). The controller and the keyboard each wait on their own.
    enum class ControllerExpects : uint8_t {
        Nothing,
        CommandByte,     // after controller command 0x60
        OutputPort,      // after 0xD1
        KeyboardOutput,  // after 0xD2
    };
    enum class KeyboardExpects : uint8_t {
        Command,
        Leds,         // after keyboard command 0xED
        ScanCodeSet,  // after 0xF0
        Typematic,    // after 0xF3
    };
    struct KeyEvent {
        uint64_t at_ns;
        Key key;
        bool make;  // make code (pressed) or break code (released)
    };

    uint8_t status_locked() const;
    void update_locked();  // due presses -> keyboard buffer -> output buffer
    void deliver_locked(const KeyEvent& e);
    void schedule_locked(const KeyEvent& e);
    vmb::Response controller_command_locked(uint8_t cmd);
    vmb::Response data_write_locked(uint8_t value);
    void keyboard_byte_locked(uint8_t value);
    void keyboard_command_locked(uint8_t cmd);
    void clear_keyboard_buffer_locked();
    void reply_locked(std::deque<uint8_t>& to, uint8_t byte);
    vmb::Response reset_line(std::string how) const;

    vmb::Machine& machine_;
    mutable std::mutex lock_;
    // The controller.
    uint8_t command_byte_ = kCommandByteDefault;
    uint8_t output_port_ = kOutputPortDefault;
    bool last_write_command_ = false;  // status bit 3
    uint8_t output_buffer_ = 0;
    bool output_buffer_full_ = false;
    ControllerExpects controller_expects_ = ControllerExpects::Nothing;
    std::deque<uint8_t> controller_replies_;
    // The keyboard.
    KeyboardExpects keyboard_expects_ = KeyboardExpects::Command;
    bool scanning_ = true;
    uint8_t leds_ = 0, typematic_ = kTypematicDefault;
    uint8_t last_sent_ = 0;  // for its resend command
    std::deque<uint8_t> keyboard_replies_;
    std::deque<uint8_t> buffer_;    // scan codes, and at most one overrun code after them
    bool overrun_ = false;          // the overrun code waits in buffer_
    std::deque<KeyEvent> pending_;  // time order; events of equal time in press order
    // What was refused.
    uint64_t ignored_commands_ = 0, dropped_key_bytes_ = 0, dropped_replies_ = 0,
             dropped_presses_ = 0;
};

}  // namespace ptv::devices
