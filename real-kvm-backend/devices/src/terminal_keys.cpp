#include "ptv/devices/terminal_keys.hpp"

#include <optional>

namespace ptv::devices {

namespace {

constexpr char kEsc = 0x1b;
constexpr char kDel = 0x7f;
constexpr char kBs = 0x08;

// The arrow a cursor sequence's final byte names (CUU, CUD, CUF, CUB).
std::optional<Key> arrow(char final_byte) {
    switch (final_byte) {
        case 'A':
            return Key::Up;
        case 'B':
            return Key::Down;
        case 'C':
            return Key::Right;
        case 'D':
            return Key::Left;
    }
    return std::nullopt;
}

// ECMA-48 5.4: a control sequence is parameter bytes (0x30-0x3f), then
// intermediate bytes (0x20-0x2f), then one final byte (0x40-0x7e).
bool in_sequence(char c) {
    return c >= 0x20 && c <= 0x3f;
}
bool is_final(char c) {
    return c >= 0x40 && c <= 0x7e;
}

}  // namespace

void TerminalKeyDecoder::ground(char c, std::vector<Key>& out) {
    if (c >= 'a' && c <= 'z') {
        out.push_back(Key(int(Key::A) + (c - 'a')));
    } else if (c >= 'A' && c <= 'Z') {
        out.push_back(Key(int(Key::A) + (c - 'A')));
    } else if (c >= '0' && c <= '9') {
        out.push_back(Key(int(Key::Digit0) + (c - '0')));
    } else if (c == ' ') {
        out.push_back(Key::Space);
    } else if (c == '\r' || c == '\n') {
        out.push_back(Key::Enter);
    } else if (c == kDel || c == kBs) {
        out.push_back(Key::Backspace);
    } else if (c == '\t') {
        out.push_back(Key::Tab);
    } else if (c == kEsc) {
        state_ = State::Escape;
    }
    // Anything else has no key here: skipped.
}

std::vector<Key> TerminalKeyDecoder::feed(std::string_view bytes) {
    std::vector<Key> out;
    for (char c : bytes) {
        switch (state_) {
            case State::Ground:
                ground(c, out);
                break;
            case State::Escape:
                if (c == '[') {
                    state_ = State::Csi;
                } else if (c == 'O') {
                    state_ = State::Ss3;
                } else {
                    // Not a sequence: the ESC was the key, then this byte.
                    out.push_back(Key::Esc);
                    state_ = State::Ground;
                    ground(c, out);
                }
                break;
            case State::Csi:
                if (in_sequence(c)) break;  // parameters (modifiers) ignored
                state_ = State::Ground;
                if (is_final(c)) {
                    if (auto key = arrow(c)) out.push_back(*key);
                } else {
                    ground(c, out);  // the sequence broke off: a new ESC, or a key
                }
                break;
            case State::Ss3:
                state_ = State::Ground;
                if (is_final(c)) {
                    if (auto key = arrow(c)) out.push_back(*key);
                } else {
                    ground(c, out);
                }
                break;
        }
    }
    return out;
}

std::vector<Key> TerminalKeyDecoder::flush() {
    std::vector<Key> out;
    if (state_ == State::Escape) out.push_back(Key::Esc);
    state_ = State::Ground;
    return out;
}

}  // namespace ptv::devices
