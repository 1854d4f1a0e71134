// Scan code set 1: the bytes a PC keyboard sends for each key, and the
// keys' names in key scripts.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "ptv/devices/scancodes.hpp"

using namespace ptv::devices;

namespace {
std::vector<uint8_t> bytes(ScanCode c) {
    return {c.view().begin(), c.view().end()};
}
using Bytes = std::vector<uint8_t>;
}  // namespace

TEST_CASE("scan code set 1: make codes, and break codes with bit 7 set") {
    CHECK(bytes(make_code(Key::Esc)) == Bytes{0x01});
    CHECK(bytes(break_code(Key::Esc)) == Bytes{0x81});
    CHECK(bytes(make_code(Key::Digit1)) == Bytes{0x02});
    CHECK(bytes(make_code(Key::Digit9)) == Bytes{0x0a});
    CHECK(bytes(make_code(Key::Digit0)) == Bytes{0x0b});
    CHECK(bytes(make_code(Key::Backspace)) == Bytes{0x0e});
    CHECK(bytes(make_code(Key::Tab)) == Bytes{0x0f});
    CHECK(bytes(make_code(Key::Q)) == Bytes{0x10});
    CHECK(bytes(make_code(Key::P)) == Bytes{0x19});
    CHECK(bytes(make_code(Key::Enter)) == Bytes{0x1c});
    CHECK(bytes(make_code(Key::A)) == Bytes{0x1e});
    CHECK(bytes(break_code(Key::A)) == Bytes{0x9e});
    CHECK(bytes(make_code(Key::L)) == Bytes{0x26});
    CHECK(bytes(make_code(Key::Z)) == Bytes{0x2c});
    CHECK(bytes(make_code(Key::M)) == Bytes{0x32});
    CHECK(bytes(make_code(Key::Space)) == Bytes{0x39});
    CHECK(bytes(break_code(Key::Space)) == Bytes{0xb9});
}

TEST_CASE("scan code set 1: the arrows are E0-prefixed, before the break code too") {
    CHECK(bytes(make_code(Key::Up)) == Bytes{0xe0, 0x48});
    CHECK(bytes(make_code(Key::Down)) == Bytes{0xe0, 0x50});
    CHECK(bytes(make_code(Key::Left)) == Bytes{0xe0, 0x4b});
    CHECK(bytes(make_code(Key::Right)) == Bytes{0xe0, 0x4d});
    CHECK(bytes(break_code(Key::Up)) == Bytes{0xe0, 0xc8});
    CHECK(bytes(break_code(Key::Down)) == Bytes{0xe0, 0xd0});
    CHECK(bytes(break_code(Key::Left)) == Bytes{0xe0, 0xcb});
    CHECK(bytes(break_code(Key::Right)) == Bytes{0xe0, 0xcd});
}

TEST_CASE("every key has its own code, a break code its make | 0x80, and a name") {
    std::set<Bytes> makes;
    CHECK(all_keys().size() == 45);
    for (Key k : all_keys()) {
        CAPTURE(key_name(k));
        const Bytes make = bytes(make_code(k)), brk = bytes(break_code(k));
        CHECK(makes.insert(make).second);
        REQUIRE(make.size() == brk.size());
        CHECK(brk.back() == (make.back() | 0x80));
        CHECK(make.back() < 0x80);
        CHECK(key_named(key_name(k)) == k);
    }
}

TEST_CASE("keys by name") {
    CHECK(key_name(Key::Left) == "left");
    CHECK(key_name(Key::Space) == "space");
    CHECK(key_name(Key::Esc) == "esc");
    CHECK(key_name(Key::A) == "a");
    CHECK(key_name(Key::Digit7) == "7");
    CHECK(key_named("escape") == Key::Esc);
    CHECK(key_named("return") == Key::Enter);
    CHECK(key_named("backspace") == Key::Backspace);
    CHECK_FALSE(key_named(""));
    CHECK_FALSE(key_named("f1"));
    CHECK_FALSE(key_named("Left"));
    CHECK_FALSE(key_named("aa"));
}
