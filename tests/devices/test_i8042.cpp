// The i8042 keyboard controller and its keyboard against the references'
// behaviour: exact bytes and status bits for each command, the key
// timing on a clock the test sets, the keyboard's 16-byte buffer and its
// overrun code, the reset line, and a flood of random writes.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../support/fake_machine.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/devices/i8042.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/dispatcher.hpp"

using namespace ptv;
using devices::I8042;
using devices::Key;

namespace {

constexpr uint64_t kMs = 1'000'000;

// Status bits, as the guest tests them.
constexpr uint8_t kObf = 0x01, kSys = 0x04, kCmd = 0x08, kInh = 0x10;

// The two ports as a guest sees them, through the motherboard's claims
// (so the device's offsets are the ones a real access gives).
struct Ports {
    test::FakeMachine m;  // its time is the test's (m.now)
    I8042 kbc{m};
    vmb::VirtualMotherboard board;
    std::unique_ptr<vnd::NotificationDispatcher> bus;
    Ports() {
        m.now = 1'000 * kMs;
        kbc.plug_in(board);
        bus = std::make_unique<vnd::NotificationDispatcher>(board);
    }
    vnd::Notification access(uint16_t port, bool write, uint8_t& v) {
        vnd::Exit e;
        e.reason = vnd::ExitReason::PortIo;
        e.is_write = write;
        e.address = port;
        e.size = 1;
        e.data = &v;
        return bus->dispatch(e);
    }
    uint8_t status() {
        uint8_t v = 0;
        access(PTV_I8042_STATUS_PORT, false, v);
        return v;
    }
    uint8_t data() {
        uint8_t v = 0;
        access(PTV_I8042_DATA_PORT, false, v);
        return v;
    }
    std::optional<vmb::StopRequest> command(uint8_t c) {
        return access(PTV_I8042_STATUS_PORT, true, c).stop;
    }
    std::optional<vmb::StopRequest> out(uint8_t v) {
        return access(PTV_I8042_DATA_PORT, true, v).stop;
    }
    // Everything waiting now, read as a polling driver does: status, then
    // data while output-buffer-full is set.
    std::vector<uint8_t> drain() {
        std::vector<uint8_t> got;
        while (status() & kObf) got.push_back(data());
        return got;
    }
};

using Bytes = std::vector<uint8_t>;

}  // namespace

TEST_CASE("i8042: after power-on the status shows the system flag and no byte waiting") {
    Ports p;
    CHECK(p.status() == (kSys | kInh));
    CHECK(p.drain().empty());
    CHECK(p.kbc.name() == "i8042");
    CHECK(p.kbc.kind() == "emulated");
}

TEST_CASE("i8042: output buffer full is set exactly while a byte waits at 0x60") {
    Ports p;
    p.command(0x20);  // read the command byte
    CHECK(p.status() == (kObf | kSys | kCmd | kInh));
    CHECK(p.status() == (kObf | kSys | kCmd | kInh));  // reading the status takes nothing
    CHECK(p.data() == I8042::kCommandByteDefault);
    CHECK(p.status() == (kSys | kCmd | kInh));
    // Reading 0x60 with nothing waiting gives the last byte again, and
    // leaves the buffer empty.
    CHECK(p.data() == I8042::kCommandByteDefault);
    CHECK((p.status() & kObf) == 0);
}

TEST_CASE("i8042: status bit 3 tells whether the last write went to 0x64 or 0x60") {
    Ports p;
    p.command(0xa8);
    CHECK((p.status() & kCmd) == kCmd);
    p.out(0xf4);
    CHECK((p.status() & kCmd) == 0);
    CHECK(p.drain() == Bytes{0xfa});
}

TEST_CASE("i8042: controller commands answer as the AT reference says") {
    Ports p;
    p.command(0xaa);  // self-test
    CHECK(p.drain() == Bytes{0x55});
    p.command(0xab);  // keyboard interface test
    CHECK(p.drain() == Bytes{0x00});

    // Write the command byte, read it back; its bit 2 is the status's system flag.
    p.command(0x60);
    p.out(0x41);
    CHECK((p.status() & kSys) == 0);
    p.command(0x20);
    CHECK(p.drain() == Bytes{0x41});
    p.command(0xaa);  // the self-test sets the system flag again
    CHECK(p.drain() == Bytes{0x55});
    CHECK((p.status() & kSys) == kSys);

    // The auxiliary port's disable bit (5) follows 0xA7 / 0xA8.
    p.command(0xa8);
    p.command(0x20);
    CHECK(p.drain() == Bytes{0x45});
    p.command(0xa7);
    p.command(0x20);
    CHECK(p.drain() == Bytes{0x65});

    // The output port: reset line high, A20 on, input buffer empty (bit 5).
    p.command(0xd0);
    CHECK(p.drain() == Bytes{0x23});
    p.command(0xd1);
    CHECK_FALSE(p.out(0x01));  // A20 off, reset line still high
    p.command(0xd0);
    CHECK(p.drain() == Bytes{0x21});

    // 0xD2: the next byte comes back as if the keyboard had sent it.
    p.command(0xd2);
    p.out(0x1e);
    CHECK(p.drain() == Bytes{0x1e});
    CHECK(p.kbc.ignored_commands() == 0);
}

TEST_CASE("i8042: an unknown controller command is ignored and counted") {
    Ports p;
    for (uint8_t c : {0x00, 0x1f, 0xa9, 0xc0, 0xd3, 0xe0}) CHECK_FALSE(p.command(c));
    CHECK(p.kbc.ignored_commands() == 6);
    CHECK(p.drain().empty());
    // Nothing changed: the command byte is the power-on one.
    p.command(0x20);
    CHECK(p.drain() == Bytes{I8042::kCommandByteDefault});
}

TEST_CASE("i8042: keyboard commands answer as the keyboard reference says") {
    Ports p;
    p.out(0xff);  // reset: ACK, then the self-test's completion code
    CHECK(p.drain() == Bytes{0xfa, 0xaa});
    p.out(0xf4);
    CHECK(p.drain() == Bytes{0xfa});
    p.out(0xf5);
    CHECK(p.drain() == Bytes{0xfa});
    p.out(0xf6);
    CHECK(p.drain() == Bytes{0xfa});
    p.out(0xed);  // LEDs: ACK, parameter, ACK
    CHECK(p.drain() == Bytes{0xfa});
    p.out(0x07);
    CHECK(p.drain() == Bytes{0xfa});
    p.out(0xee);  // echo
    CHECK(p.drain() == Bytes{0xee});
    p.out(0xf2);  // identify: an MF2 keyboard
    CHECK(p.drain() == Bytes{0xfa, 0xab, 0x83});
    p.out(0xf0);  // which scan code set? set 1
    p.out(0x00);
    CHECK(p.drain() == Bytes{0xfa, 0xfa, 0x01});
    p.out(0xf0);  // select set 2: acknowledged, set 1 stays
    p.out(0x02);
    p.out(0xf0);
    p.out(0x00);
    CHECK(p.drain() == Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0x01});
    p.out(0xf3);  // typematic rate/delay
    p.out(0x20);
    CHECK(p.drain() == Bytes{0xfa, 0xfa});
    p.out(0xee);
    CHECK(p.drain() == Bytes{0xee});
    p.out(0xfe);  // resend: the last byte again
    CHECK(p.drain() == Bytes{0xee});
    p.out(0x55);  // no such command
    CHECK(p.drain() == Bytes{0xfe});
}

TEST_CASE("i8042: a controller command between a keyboard command and its parameter") {
    Ports p;
    p.out(0xed);
    p.command(0x20);  // the controller's answer comes first, the keyboard still waits
    CHECK(p.drain() == Bytes{I8042::kCommandByteDefault, 0xfa});
    p.out(0x02);
    CHECK(p.drain() == Bytes{0xfa});
    p.command(0x60);  // a controller command cancels the parameter it waited for
    p.command(0x20);
    p.out(0xee);  // so this goes to the keyboard
    CHECK(p.drain() == Bytes{I8042::kCommandByteDefault, 0xee});
}

TEST_CASE("i8042: a key's make code comes at its time, its break code 100 ms later") {
    Ports p;
    const uint64_t t0 = p.m.now;
    p.kbc.press(Key::A);
    CHECK(p.drain() == Bytes{0x1e});
    p.m.now = t0 + I8042::kKeyHoldNs - 1;
    CHECK(p.drain().empty());
    p.m.now = t0 + I8042::kKeyHoldNs;
    CHECK(p.drain() == Bytes{0x9e});
    CHECK(I8042::kKeyHoldNs == 100 * kMs);

    // Arrows are E0-prefixed, the prefix again before the break code.
    p.kbc.press(Key::Left);
    CHECK(p.drain() == Bytes{0xe0, 0x4b});
    p.m.now += I8042::kKeyHoldNs;
    CHECK(p.drain() == Bytes{0xe0, 0xcb});
}

TEST_CASE("i8042: a press at a later time waits for it, and presses come in time order") {
    Ports p;
    const uint64_t t0 = p.m.now;
    p.kbc.press(Key::Esc, t0 + 50 * kMs);
    p.kbc.press(Key::Space, t0 + 20 * kMs);
    p.kbc.press(Key::Enter, t0 - 5 * kMs);  // in the past: now
    CHECK(p.drain() == Bytes{0x1c});
    p.m.now = t0 + 49 * kMs;
    CHECK(p.drain() == Bytes{0x39});
    p.m.now = t0 + 50 * kMs;
    CHECK(p.drain() == Bytes{0x01});
    p.m.now = t0 + 200 * kMs;
    CHECK(p.drain() == Bytes{0x9c, 0xb9, 0x81});  // the releases, in time order
}

TEST_CASE("i8042: a repeat before the release sends another make and holds the key longer") {
    Ports p;
    const uint64_t t0 = p.m.now;
    p.kbc.press(Key::Right);
    CHECK(p.drain() == Bytes{0xe0, 0x4d});
    p.m.now = t0 + 60 * kMs;  // the terminal's auto-repeat
    p.kbc.press(Key::Right);
    CHECK(p.drain() == Bytes{0xe0, 0x4d});
    p.m.now = t0 + I8042::kKeyHoldNs;  // the first release would have been now
    CHECK(p.drain().empty());
    p.m.now = t0 + 60 * kMs + I8042::kKeyHoldNs;
    CHECK(p.drain() == Bytes{0xe0, 0xcd});
    // After the release, a press is a new press.
    p.kbc.press(Key::Right);
    CHECK(p.drain() == Bytes{0xe0, 0x4d});

    // Repeats scheduled ahead behave the same; one earlier than the key's
    // last press counts at that press's time.
    Ports q;
    const uint64_t s0 = q.m.now;
    q.kbc.press(Key::Z, s0 + 10 * kMs);
    q.kbc.press(Key::Z, s0 + 5 * kMs);
    q.m.now = s0 + 10 * kMs;
    CHECK(q.drain() == Bytes{0x2c, 0x2c});
    q.m.now = s0 + 10 * kMs + I8042::kKeyHoldNs;
    CHECK(q.drain() == Bytes{0xac});
    q.m.now += I8042::kKeyHoldNs;
    CHECK(q.drain().empty());
}

TEST_CASE("i8042: the keyboard's buffer holds 16 bytes, then one overrun code, 0xFF") {
    Ports p;
    // Twenty keys at once, one byte each: 16 fit, the overrun code takes
    // the 17th position, the other 4 are lost.
    const Key keys[] = {Key::A, Key::B, Key::C, Key::D, Key::E, Key::F, Key::G,
                        Key::H, Key::I, Key::J, Key::K, Key::L, Key::M, Key::N,
                        Key::O, Key::P, Key::Q, Key::R, Key::S, Key::T};
    for (Key k : keys) p.kbc.press(k);
    const Bytes got = p.drain();
    Bytes want;
    for (size_t i = 0; i < 16; ++i) want.push_back(devices::make_code(keys[i]).bytes[0]);
    want.push_back(0xff);
    CHECK(got == want);
    CHECK(p.kbc.dropped_key_bytes() == 4);
    // Read, the buffer takes keys again: the releases come, all twenty of
    // them: 16 fit, the 17th position is the overrun code again.
    p.m.now += I8042::kKeyHoldNs;
    const Bytes releases = p.drain();
    CHECK(releases.size() == 17);
    CHECK(releases.front() == 0x9e);
    CHECK(releases.back() == 0xff);
    CHECK(p.kbc.dropped_key_bytes() == 8);
}

TEST_CASE("i8042: a two-byte code that does not fit whole is dropped, never split") {
    Ports p;
    p.command(0xad);  // the interface disabled: codes stay in the keyboard
    const Key fifteen[] = {Key::A, Key::B, Key::C, Key::D, Key::E, Key::F, Key::G, Key::H,
                           Key::I, Key::J, Key::K, Key::L, Key::M, Key::N, Key::O};
    for (Key k : fifteen) p.kbc.press(k);
    p.kbc.press(Key::Up);  // E0 48: one position left, it needs two
    CHECK(p.drain().empty());
    CHECK(p.kbc.dropped_key_bytes() == 2);
    p.command(0xae);
    const Bytes got = p.drain();
    REQUIRE(got.size() == 16);
    CHECK(got[14] == 0x18);  // O
    CHECK(got[15] == 0xff);  // the overrun code, not half an arrow
}

TEST_CASE("i8042: a disabled keyboard delivers nothing, the controller still answers") {
    Ports p;
    p.command(0xad);
    p.kbc.press(Key::Space);
    p.out(0xee);                         // the keyboard's reply waits too
    CHECK(p.status() == (kSys | kInh));  // no byte waits; the last write was data
    CHECK(p.drain().empty());
    p.command(0x20);  // command byte with bit 4 (keyboard disabled) set
    CHECK(p.drain() == Bytes{0x75});
    p.command(0xae);
    CHECK(p.drain() == Bytes{0xee, 0x39});

    // The command byte's bit 4 is the same switch.
    p.command(0x60);
    p.out(0x75);
    p.m.now += I8042::kKeyHoldNs;
    CHECK(p.drain().empty());
    p.command(0x60);
    p.out(0x65);
    CHECK(p.drain() == Bytes{0xb9});

    // A keyboard told to stop scanning (0xF5) loses keys until 0xF4.
    p.out(0xf5);
    CHECK(p.drain() == Bytes{0xfa});
    p.kbc.press(Key::Q);
    CHECK(p.drain().empty());
    p.m.now += I8042::kKeyHoldNs;
    CHECK(p.drain().empty());
    p.out(0xf4);
    p.kbc.press(Key::W);
    CHECK(p.drain() == Bytes{0xfa, 0x11});
}

TEST_CASE("i8042: a flood of commands that are never read gets 16 replies, the rest counted") {
    Ports p;
    for (int i = 0; i < 100; ++i) p.out(0xee);
    for (int i = 0; i < 40; ++i) p.command(0xab);
    CHECK(p.kbc.dropped_replies() == 84 + 24);
    const Bytes got = p.drain();
    CHECK(got.size() == 32);
    CHECK(got == [] {
        Bytes b(16, 0x00);  // the controller's own replies first
        b.insert(b.end(), 16, 0xee);
        return b;
    }());
}

TEST_CASE("i8042: pulsing the reset line asks to stop the run as a reset") {
    Ports p;
    auto r = p.command(0xfe);
    REQUIRE(r);
    CHECK(r->kind == vmb::StopRequest::Kind::Reset);
    CHECK(r->device == "i8042");
    CHECK(r->message == "command 0xfe pulsed the reset line");

    // 0xF0-0xFF pulse the lines whose bits are clear: even commands reset.
    for (int c = 0xf0; c <= 0xff; ++c) {
        CAPTURE(c);
        Ports q;
        CHECK(bool(q.command(uint8_t(c))) == (c % 2 == 0));
    }

    // Writing the output port with bit 0 clear holds the reset line low.
    Ports q;
    CHECK_FALSE(q.command(0xd1));
    r = q.out(0xfe);
    REQUIRE(r);
    CHECK(r->kind == vmb::StopRequest::Kind::Reset);
    CHECK(r->message == "command 0xd1 wrote 0xfe to the output port, clearing the reset line");
    // The byte after 0xD1 is a parameter, not a keyboard command.
    CHECK_FALSE(q.command(0xd1));
    CHECK_FALSE(q.out(0xff));
    CHECK(q.drain().empty());
}

TEST_CASE("i8042: save and load keep the registers, the buffers and the pending keys") {
    Ports a;
    a.command(0x60);
    a.out(0x45);
    a.out(0xed);  // the keyboard waits for its parameter
    a.kbc.press(Key::B);
    CHECK(a.drain() == Bytes{0xfa, 0x30});
    a.kbc.press(Key::Down, a.m.now + 30 * kMs);
    const nlohmann::json saved = a.kbc.save_state();

    Ports b;
    b.m.now = 7'000 * kMs;  // another machine, another clock
    b.kbc.load_state(saved);
    CHECK(b.kbc.save_state() == saved);
    CHECK(b.drain().empty());
    b.out(0x01);  // the LED parameter
    CHECK(b.drain() == Bytes{0xfa});
    b.m.now += 30 * kMs;
    CHECK(b.drain() == Bytes{0xe0, 0x50});
    b.m.now += 70 * kMs;
    CHECK(b.drain() == Bytes{0xb0});  // B's release, 100 ms after its press
    b.command(0x20);
    CHECK(b.drain() == Bytes{0x45});

    nlohmann::json bad = saved;
    bad["pending"][0]["key"] = "f13";
    CHECK_THROWS_AS(b.kbc.load_state(bad), std::invalid_argument);
    bad = saved;
    bad["buffer"] = Bytes(18, 0x1e);
    CHECK_THROWS_AS(b.kbc.load_state(bad), std::invalid_argument);
    bad = saved;
    bad["keyboard_expects"] = 9;
    CHECK_THROWS_AS(b.kbc.load_state(bad), std::invalid_argument);
    // A refused record changes nothing.
    b.command(0x20);
    CHECK(b.drain() == Bytes{0x45});
}

TEST_CASE("i8042: another thread presses keys while the guest polls") {
    Ports p;
    std::atomic<bool> done = false;
    std::thread input([&] {
        for (int i = 0; i < 2000; ++i) p.kbc.press(i % 2 ? Key::Up : Key::Space);
        done = true;
    });
    Bytes got;
    while (!done) {
        const Bytes more = p.drain();
        got.insert(got.end(), more.begin(), more.end());
    }
    input.join();
    const Bytes more = p.drain();
    got.insert(got.end(), more.begin(), more.end());
    // Only these keys' make codes (the clock stands still: no releases),
    // and the overrun code when the input outran the guest.
    CHECK_FALSE(got.empty());
    for (uint8_t b : got) CHECK((b == 0x39 || b == 0xe0 || b == 0x48 || b == 0xff));
}

TEST_CASE("i8042: a flood of random writes to both ports never breaks it") {
    Ports p;
    SplitMix64 rng(42);
    uint64_t resets = 0, bad_status = 0;
    for (int i = 0; i < 200'000; ++i) {
        const uint64_t what = rng.below(8);
        if (what < 3) {
            if (p.command(uint8_t(rng.next()))) ++resets;
        } else if (what < 6) {
            if (p.out(uint8_t(rng.next()))) ++resets;
        } else if (what == 6) {
            p.kbc.press(devices::all_keys()[rng.below(devices::all_keys().size())],
                        p.m.now + rng.below(300 * kMs));
        } else {
            const uint8_t s = p.status();
            // Never input-buffer-full, never an error bit; never inhibited.
            if ((s & 0xe2) != 0 || (s & kInh) != kInh) ++bad_status;
            if (s & kObf) p.data();
            p.m.now += rng.below(5 * kMs);
        }
    }
    CHECK(resets > 0);
    CHECK(bad_status == 0);
    const auto state = p.kbc.save_state();
    CHECK(state["buffer"].size() <= I8042::kKeyboardBufferSize + 1);
    CHECK(state["keyboard_replies"].size() <= I8042::kReplyLimit);
    CHECK(state["controller_replies"].size() <= I8042::kReplyLimit);
    CHECK(state["pending"].size() <= I8042::kPendingLimit);
    CHECK(p.kbc.ignored_commands() > 0);
}
