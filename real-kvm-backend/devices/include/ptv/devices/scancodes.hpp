// The keys a ptvlab keyboard has, and the bytes a PC keyboard sends for
// them in scan code set 1 (the IBM PC/XT's set, which the AT's 8042
// produces by translation and which PC software reads at port 0x60).
// A key sends its make code when pressed and its break code (make | 0x80)
// when released; the keys the 101-key keyboard added beside the old ones
// (the cursor arrows) are prefixed by 0xE0, the prefix repeated before the
// break code. IBM PC AT Technical Reference, "Keyboard Scan-Code Outputs";
// IBM 101/102-Key Keyboard, "Scan Code Set 1".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ptv::devices {

// One group of keys per row (kept so by hand: clang-format would put each
// key on a line of its own).
// clang-format off
enum class Key : uint8_t {
    A, B, C, D, E, F, G, H, I, J, K, L, M,
    N, O, P, Q, R, S, T, U, V, W, X, Y, Z,
    Digit0, Digit1, Digit2, Digit3, Digit4, Digit5, Digit6, Digit7, Digit8, Digit9,
    Space, Enter, Esc, Backspace, Tab,
    Up, Down, Left, Right,
};
// clang-format on

// Every key, in enumeration order.
std::span<const Key> all_keys();

// A key's code sequence in set 1: one byte, or two with the 0xE0 prefix.
struct ScanCode {
    uint8_t bytes[2] = {};
    uint8_t size = 0;
    std::span<const uint8_t> view() const { return {bytes, size}; }
};
ScanCode make_code(Key key);
ScanCode break_code(Key key);

// The key's name in key scripts and tests: "a" .. "z", "0" .. "9", "space",
// "enter", "esc", "backspace", "tab", "up", "down", "left", "right".
std::string_view key_name(Key key);
// The key with that name (also "escape" and "return"); nullopt for none.
std::optional<Key> key_named(std::string_view name);

}  // namespace ptv::devices
