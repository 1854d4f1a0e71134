// One counter of the Intel 8254 Programmable Interval Timer (Intel 8254
// datasheet, order no. 231164): its Control Word bits (RW, mode, BCD), the
// Count Register CR, the Counting Element CE, the Output Latch OL with the
// Counter Latch Command, the status latch of the Read-Back Command, the
// NULL COUNT flag, the LSB/MSB read and write flip-flops, GATE and OUT.
// Pure logic: time comes in as an argument (nanoseconds of machine time) and
// the counter is clocked at 1.193182 MHz of it; the device (pit8254.hpp)
// wires three of these to ports.
//
// Time model. CLK pulses are counted from the counter's own origin, moved to
// the time of each count write that loads "on the next CLK pulse": so the
// count reaches CE exactly one tick (~838 ns) after the write, clearing NULL
// COUNT, and the count values at a given time after a write are exact.
// Between two events (a write, a GATE edge) the counter is a closed-form
// function of the ticks since its count was loaded, so reading it after an
// hour costs what reading it after a microsecond does.
//
// Modes (datasheet, "Mode Definitions"; k = CLK pulses since CE was loaded
// with the count N; a count of 0 is 65536 in binary and 10000 in BCD):
//   0 interrupt on terminal count: OUT low from the Control Word; CE = N - k
//     (wrapping); OUT high once k = N and stays high. GATE low pauses CE.
//     Writing the first byte of an LSB-then-MSB count stops counting and
//     sets OUT low; the second byte loads the new count.
//   1 hardware retriggerable one-shot: a GATE rising edge loads N; OUT low
//     until CE reaches 0.
//   2 rate generator: CE = N, N-1, ..., 1, then N again; OUT low for the one
//     tick at count 1. GATE low stops it with OUT high; the rising edge
//     reloads. A new count written while it counts is loaded at the end of
//     the current period.
//   3 square wave: OUT high for ceil(N/2) ticks, low for floor(N/2); CE
//     counts down by 2 (from N, or N-1 when N is odd) in each half. A new
//     count is loaded at the end of the current half-cycle.
//   4 software-triggered strobe: OUT high, low for the one tick at k = N.
//   5 hardware-triggered strobe: as 4, started by a GATE rising edge.
// Control Word mode bits 110 and 111 are modes 2 and 3 (the status byte
// gives them back as written). Before the first count is loaded (after a
// Control Word) CE holds what it held, and OUT is low in mode 0, high in the
// others.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace ptv::devices {

class PitCounter {
  public:
    // The input clock of every 8254 counter in a PC (14.31818 MHz / 12).
    static constexpr uint64_t kClockHz = 1'193'182;
    // Machine time to CLK pulses, floor(ns * 1193182 / 1e9), in 128 bits so
    // that no machine time overflows it.
    static uint64_t ticks(uint64_t ns) {
        return uint64_t((unsigned __int128)ns * kClockHz / 1'000'000'000u);
    }

    // Control Word bits D5..D0 (RW1 RW0 M2 M1 M0 BCD) for this counter; RW
    // must not be 00 (that is the Counter Latch Command, latch_count()).
    void program(uint8_t control, uint64_t now);
    // A byte written to the counter's port: part of a new count.
    void write(uint8_t byte, uint64_t now);
    // A byte read from the counter's port: the status if latched, else the
    // latched count if latched, else the live count (per RW, through the
    // read flip-flop).
    uint8_t read(uint64_t now);
    // Counter Latch Command: OL holds CE until it has been read (per RW);
    // another latch before then is ignored.
    void latch_count(uint64_t now);
    // Read-Back Command with STATUS: the status byte is held for the next
    // read; another before then is ignored.
    void latch_status(uint64_t now);
    // The GATE input (only counter 2's is wired to anything in a PC).
    void set_gate(bool level, uint64_t now);

    bool out(uint64_t now);
    // OUT<<7 | NULL COUNT<<6 | RW<<4 | M2..M0<<1 | BCD.
    uint8_t status(uint64_t now);
    // The effective mode (0-5) and the count N counting now, if any.
    unsigned mode() const;
    std::optional<uint32_t> counting_count() const;
    bool gate() const { return gate_; }

    // Every register and latch; counting state relative to `now`, so a
    // counter restored at any other machine time counts on from there.
    nlohmann::json save_state(uint64_t now) const;
    void load_state(const nlohmann::json& s, uint64_t now);

  private:
    struct Value {
        uint32_t ce;  // binary, 0 .. modulus-1
        bool out;
    };
    unsigned rw() const { return (control_ >> 4) & 3; }
    bool bcd() const { return control_ & 1; }
    uint32_t modulus() const { return bcd() ? 10000 : 65536; }
    uint32_t count_n() const;  // CR as a count: 1 .. modulus
    uint64_t tick_now(uint64_t now) const;
    void settle(uint64_t now);  // applies a load that is due
    Value value_at(uint64_t tick) const;
    Value evaluate(uint32_t n, uint32_t phase0, uint64_t k) const;
    void freeze(uint64_t tick, std::optional<bool> out = std::nullopt);
    void load_next_pulse(uint64_t now);
    void count_written(uint64_t now);
    bool gate_enables_counting() const;
    uint16_t encode(uint32_t ce) const;  // CE as read: binary, or 4 BCD digits

    // Registers.
    uint8_t control_ = 0x30;  // RW = LSB then MSB, mode 0, binary
    uint16_t cr_ = 0;         // Count Register, as written
    uint8_t cr_lsb_ = 0;      // the LSB of a two-byte count, waiting for its MSB
    bool write_msb_ = false;  // write flip-flop: the next byte is the MSB
    bool read_msb_ = false;   // read flip-flop (live reads)
    uint16_t ol_ = 0;         // Output Latch
    uint8_t ol_bytes_ = 0;    // latched bytes still to read: bit 0 LSB, bit 1 MSB
    std::optional<uint8_t> status_latch_;
    bool null_count_ = true;
    bool cr_written_ = false;  // a count was written since the Control Word
    bool gate_ = true;

    // Counting: CE was loaded with n_ at tick start_, k_base_ ticks already
    // counted; phase0_ is where in a mode 2/3 cycle it started.
    uint64_t origin_ns_ = 0;  // tick 0 of this counter's CLK
    bool loaded_ = false;
    bool counting_ = false;
    uint32_t n_ = 65536, phase0_ = 0;
    uint64_t start_ = 0, k_base_ = 0;
    Value held_{0, false};  // CE and OUT while not counting
    // A load of CR into CE due at pending_tick_ (NULL COUNT until then).
    bool pending_ = false, pending_deferred_ = false;
    uint64_t pending_tick_ = 0;
    uint32_t pending_phase0_ = 0;
};

}  // namespace ptv::devices
