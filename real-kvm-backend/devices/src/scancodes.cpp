#include "ptv/devices/scancodes.hpp"

#include <array>

namespace ptv::devices {

namespace {

// The prefix of the keys the 101-key keyboard added ("extended" keys).
constexpr uint8_t kExtendedPrefix = 0xe0;
// A break code is the make code with bit 7 set (set 1).
constexpr uint8_t kBreakBit = 0x80;

struct KeyInfo {
    Key key;
    std::string_view name;
    uint8_t make;   // the make code, after the prefix if extended
    bool extended;  // preceded by 0xE0
};

// Set 1 make codes, from the keyboard's key-number table. The rows follow
// the keyboard: Q W E R T Y U I O P are 0x10-0x19, A S D F G H J K L
// 0x1E-0x26, Z X C V B N M 0x2C-0x32, the digits 1-9 0 0x02-0x0B.
constexpr std::array<KeyInfo, 45> kKeys{{
    {Key::A, "a", 0x1e, false},         {Key::B, "b", 0x30, false},
    {Key::C, "c", 0x2e, false},         {Key::D, "d", 0x20, false},
    {Key::E, "e", 0x12, false},         {Key::F, "f", 0x21, false},
    {Key::G, "g", 0x22, false},         {Key::H, "h", 0x23, false},
    {Key::I, "i", 0x17, false},         {Key::J, "j", 0x24, false},
    {Key::K, "k", 0x25, false},         {Key::L, "l", 0x26, false},
    {Key::M, "m", 0x32, false},         {Key::N, "n", 0x31, false},
    {Key::O, "o", 0x18, false},         {Key::P, "p", 0x19, false},
    {Key::Q, "q", 0x10, false},         {Key::R, "r", 0x13, false},
    {Key::S, "s", 0x1f, false},         {Key::T, "t", 0x14, false},
    {Key::U, "u", 0x16, false},         {Key::V, "v", 0x2f, false},
    {Key::W, "w", 0x11, false},         {Key::X, "x", 0x2d, false},
    {Key::Y, "y", 0x15, false},         {Key::Z, "z", 0x2c, false},
    {Key::Digit0, "0", 0x0b, false},    {Key::Digit1, "1", 0x02, false},
    {Key::Digit2, "2", 0x03, false},    {Key::Digit3, "3", 0x04, false},
    {Key::Digit4, "4", 0x05, false},    {Key::Digit5, "5", 0x06, false},
    {Key::Digit6, "6", 0x07, false},    {Key::Digit7, "7", 0x08, false},
    {Key::Digit8, "8", 0x09, false},    {Key::Digit9, "9", 0x0a, false},
    {Key::Space, "space", 0x39, false}, {Key::Enter, "enter", 0x1c, false},
    {Key::Esc, "esc", 0x01, false},     {Key::Backspace, "backspace", 0x0e, false},
    {Key::Tab, "tab", 0x0f, false},     {Key::Up, "up", 0x48, true},
    {Key::Down, "down", 0x50, true},    {Key::Left, "left", 0x4b, true},
    {Key::Right, "right", 0x4d, true},
}};

constexpr bool in_enum_order() {
    for (size_t i = 0; i < kKeys.size(); ++i)
        if (size_t(kKeys[i].key) != i) return false;
    return true;
}
static_assert(in_enum_order(), "kKeys is indexed by Key");

constexpr std::array<Key, kKeys.size()> key_list() {
    std::array<Key, kKeys.size()> keys{};
    for (size_t i = 0; i < kKeys.size(); ++i) keys[i] = kKeys[i].key;
    return keys;
}
constexpr std::array<Key, kKeys.size()> kAllKeys = key_list();

const KeyInfo& info(Key key) {
    return kKeys[size_t(key)];
}

ScanCode code(Key key, uint8_t bits) {
    const KeyInfo& k = info(key);
    ScanCode c;
    if (k.extended) c.bytes[c.size++] = kExtendedPrefix;
    c.bytes[c.size++] = uint8_t(k.make | bits);
    return c;
}

}  // namespace

std::span<const Key> all_keys() {
    return kAllKeys;
}

ScanCode make_code(Key key) {
    return code(key, 0);
}

ScanCode break_code(Key key) {
    return code(key, kBreakBit);
}

std::string_view key_name(Key key) {
    return info(key).name;
}

std::optional<Key> key_named(std::string_view name) {
    if (name == "escape") return Key::Esc;
    if (name == "return") return Key::Enter;
    for (const KeyInfo& k : kKeys)
        if (k.name == name) return k.key;
    return std::nullopt;
}

}  // namespace ptv::devices
