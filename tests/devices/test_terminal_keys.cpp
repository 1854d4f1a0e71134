// From a raw-mode terminal's bytes to key presses: plain keys, the
// arrows' escape sequences, a lone ESC decided by the silence after it,
// and sequences nobody asked for skipped whole.
#include <doctest/doctest.h>

#include <vector>

#include "ptv/devices/terminal_keys.hpp"

using namespace ptv::devices;
using Keys = std::vector<Key>;

TEST_CASE("terminal keys: letters of either case, digits, space, Enter, Backspace, Tab") {
    TerminalKeyDecoder d;
    CHECK(d.feed("az") == Keys{Key::A, Key::Z});
    CHECK(d.feed("AZ") == Keys{Key::A, Key::Z});
    CHECK(d.feed("0 9") == Keys{Key::Digit0, Key::Space, Key::Digit9});
    CHECK(d.feed("\r\n") == Keys{Key::Enter, Key::Enter});
    CHECK(d.feed("\x7f\x08\t") == Keys{Key::Backspace, Key::Backspace, Key::Tab});
    // No key for these: skipped.
    CHECK(d.feed("!~\x01\x03\xc3\xa9").empty());
    CHECK_FALSE(d.pending());
    CHECK(d.flush().empty());
}

TEST_CASE("terminal keys: the arrows, as CSI and as SS3 sequences") {
    TerminalKeyDecoder d;
    CHECK(d.feed("\x1b[A\x1b[B\x1b[C\x1b[D") == Keys{Key::Up, Key::Down, Key::Right, Key::Left});
    CHECK(d.feed("\x1bOA\x1bOB\x1bOC\x1bOD") == Keys{Key::Up, Key::Down, Key::Right, Key::Left});
    CHECK(d.feed("\x1b[1;5D") == Keys{Key::Left});  // with Ctrl: still the arrow
    CHECK_FALSE(d.pending());
}

TEST_CASE("terminal keys: a sequence split between reads is still one key") {
    TerminalKeyDecoder d;
    CHECK(d.feed("a\x1b") == Keys{Key::A});
    CHECK(d.pending());
    CHECK(d.feed("[").empty());
    CHECK(d.pending());
    CHECK(d.feed("D") == Keys{Key::Left});
    CHECK_FALSE(d.pending());
}

TEST_CASE("terminal keys: a lone ESC is Esc once no more bytes come") {
    TerminalKeyDecoder d;
    CHECK(d.feed("\x1b").empty());
    CHECK(d.pending());
    CHECK(d.flush() == Keys{Key::Esc});
    CHECK_FALSE(d.pending());
    CHECK(d.flush().empty());
    // Two presses of Esc in one read: the first is decided by the second.
    CHECK(d.feed("\x1b\x1b") == Keys{Key::Esc});
    CHECK(d.flush() == Keys{Key::Esc});
    // ESC and another key at once (Alt+x): Esc, then the key.
    CHECK(d.feed("\x1bx") == Keys{Key::Esc, Key::X});
    CHECK(TerminalKeyDecoder::kEscapeTimeoutMs == 30);
}

TEST_CASE("terminal keys: other sequences are skipped whole, never stray letters") {
    TerminalKeyDecoder d;
    CHECK(d.feed("\x1b[15~").empty());            // F5
    CHECK(d.feed("\x1bOP").empty());              // F1
    CHECK(d.feed("\x1b[H\x1b[F").empty());        // Home, End
    CHECK(d.feed("\x1b[<0;12;7M").empty());       // an SGR mouse report
    CHECK(d.feed("\x1b[200~x") == Keys{Key::X});  // bracketed paste's start, then its text
    CHECK_FALSE(d.pending());
    // A sequence cut off by a new ESC: the new one counts.
    CHECK(d.feed("\x1b[12\x1b[A") == Keys{Key::Up});
    // A sequence cut off by silence is dropped.
    CHECK(d.feed("\x1b[1;").empty());
    CHECK(d.flush().empty());
    CHECK(d.feed("q") == Keys{Key::Q});
}
