// From the bytes a terminal in raw mode sends to the keys pressed: what
// the worker's input thread uses to turn a user's typing into key presses
// for the i8042. Letters (either case), digits and space are themselves;
// Return ('\r', or '\n' from a pipe) is Enter; DEL (0x7f) and BS (0x08) are
// Backspace; HT is Tab. The arrows arrive as escape sequences, CSI
// "ESC [ A" .. "ESC [ D" (normal cursor mode) or SS3 "ESC O A" .. "ESC O D"
// (application cursor mode) -- up, down, right, left, in that order
// (ECMA-48's CUU, CUD, CUF and CUB; xterm's ctlseqs, "PC-Style Function
// Keys"); an arrow with modifiers ("ESC [ 1 ; 5 A") is the arrow.
//
// The Esc key itself sends a lone ESC, which is also how every sequence
// begins: only the silence after it tells them apart. feed() returns the
// keys it can decide; the reader calls flush() when no byte has arrived
// for kEscapeTimeoutMs, and that decides a pending ESC as the Esc key (the
// same rule as a terminal editor's escape delay). Any other escape
// sequence (function keys, Home, a mouse report) is skipped whole, up to
// its final byte (0x40-0x7e), and never becomes stray letters; other bytes
// (control characters, punctuation, UTF-8) are skipped too. An ESC that
// some other byte follows at once (Alt plus that key) is Esc, then the key.
#pragma once

#include <string_view>
#include <vector>

#include "ptv/devices/scancodes.hpp"

namespace ptv::devices {

class TerminalKeyDecoder {
  public:
    // How long the reader waits for more bytes before an ESC is the Esc
    // key: long enough that a sequence's bytes, which a terminal writes at
    // once, are never split by it; short enough that Esc feels immediate.
    static constexpr int kEscapeTimeoutMs = 30;

    // The keys these bytes complete, in order. An ESC, or a sequence not
    // yet complete, waits for the next feed() or flush().
    std::vector<Key> feed(std::string_view bytes);
    // No byte came for kEscapeTimeoutMs: a pending ESC is the Esc key, and
    // a sequence cut short is dropped.
    std::vector<Key> flush();
    // Whether an ESC or a sequence is waiting (the reader flushes only then).
    bool pending() const { return state_ != State::Ground; }

  private:
    enum class State : uint8_t {
        Ground,  // between keys
        Escape,  // after ESC
        Csi,     // after ESC [, in the parameters
        Ss3,     // after ESC O
    };
    void ground(char c, std::vector<Key>& out);
    State state_ = State::Ground;
};

}  // namespace ptv::devices
