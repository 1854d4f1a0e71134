#include <doctest/doctest.h>

#include <cstring>

#include "../support/fake_machine.hpp"
#include "ptv/devices/debug_exit.hpp"
#include "ptv/devices/pv_console.hpp"
#include "ptv/portmap.h"

using namespace ptv;

namespace {
constexpr uint32_t kRing = 0x8000;

void put32(test::FakeMachine& m, uint64_t at, uint32_t v) {
    std::memcpy(&m.memory[at], &v, 4);
}
uint32_t get32(test::FakeMachine& m, uint64_t at) {
    uint32_t v;
    std::memcpy(&v, &m.memory[at], 4);
    return v;
}

void ring(test::FakeMachine& m, uint32_t size, uint32_t head, uint32_t tail, uint32_t at = kRing) {
    put32(m, at + PTV_PVCON_OFF_MAGIC, PTV_PVCON_MAGIC);
    put32(m, at + PTV_PVCON_OFF_SIZE, size);
    put32(m, at + PTV_PVCON_OFF_HEAD, head);
    put32(m, at + PTV_PVCON_OFF_TAIL, tail);
}

// The device's answer to the latest write: a request to stop, or none.
vmb::Response last;

void doorbell(devices::PvConsole& c, uint32_t gpa) {
    last = c.write(vmb::Space::Pio, 0, {reinterpret_cast<const uint8_t*>(&gpa), 4});
}

std::string refused(test::FakeMachine& m) {
    REQUIRE(last.has_value());
    CHECK(last->kind == vmb::StopRequest::Kind::DeviceError);
    CHECK(last->device == "pv-console");
    CHECK(m.console.empty());
    return last->message;
}
}  // namespace

TEST_CASE("one doorbell delivers the whole message and moves tail to head") {
    test::FakeMachine m;
    devices::PvConsole c(m);
    ring(m, 16, 5, 0);
    std::memcpy(&m.memory[kRing + PTV_PVCON_OFF_DATA], "hello", 5);
    doorbell(c, kRing);
    CHECK(m.console == "hello");
    CHECK(get32(m, kRing + PTV_PVCON_OFF_TAIL) == 5);
    CHECK_FALSE(last.has_value());
    CHECK(c.messages() == 1);
    CHECK(c.bytes() == 5);
}

TEST_CASE("indices are free-running: a message may wrap around the ring") {
    test::FakeMachine m;
    devices::PvConsole c(m);
    // tail at 0xfffffffe (near u32 wrap), 4 bytes pending, ring of 8.
    ring(m, 8, 2, 0xfffffffe);
    uint8_t* data = &m.memory[kRing + PTV_PVCON_OFF_DATA];
    data[6] = 'a';
    data[7] = 'b';
    data[0] = 'c';
    data[1] = 'd';
    doorbell(c, kRing);
    CHECK(m.console == "abcd");
    CHECK(get32(m, kRing + PTV_PVCON_OFF_TAIL) == 2);
}

TEST_CASE("an empty ring is not an error") {
    test::FakeMachine m;
    devices::PvConsole c(m);
    ring(m, 16, 7, 7);
    doorbell(c, kRing);
    CHECK(m.console.empty());
    CHECK_FALSE(last.has_value());
}

TEST_CASE("the guest's ring is checked, never trusted") {
    test::FakeMachine m(1 << 16);
    devices::PvConsole c(m);
    SUBCASE("head runs ahead of tail by more than the ring") {
        ring(m, 256, 512, 0);
        doorbell(c, kRing);
        CHECK(refused(m).find("ahead") != std::string::npos);
    }
    SUBCASE("tail ahead of head (head - tail wraps)") {
        ring(m, 256, 0, 1);
        doorbell(c, kRing);
        CHECK(refused(m).find("ahead") != std::string::npos);
    }
    SUBCASE("ring address outside RAM") {
        doorbell(c, 0x40000000);
        CHECK(refused(m).find("inside the guest") != std::string::npos);
    }
    SUBCASE("ring header straddling the end of RAM") {
        doorbell(c, (1 << 16) - 8);
        refused(m);
    }
    SUBCASE("misaligned ring") {
        ring(m, 16, 1, 0, kRing + 2);
        doorbell(c, kRing + 2);
        refused(m);
    }
    SUBCASE("bad magic") {
        ring(m, 16, 1, 0);
        put32(m, kRing, 0xdeadbeef);
        doorbell(c, kRing);
        CHECK(refused(m).find("magic") != std::string::npos);
    }
    SUBCASE("size not a power of two") {
        ring(m, 100, 1, 0);
        doorbell(c, kRing);
        CHECK(refused(m).find("power of two") != std::string::npos);
    }
    SUBCASE("size beyond the maximum") {
        ring(m, PTV_PVCON_MAX_SIZE * 2, 1, 0);
        doorbell(c, kRing);
        refused(m);
    }
    SUBCASE("data running past the end of RAM") {
        ring(m, 65536, 1, 0);
        doorbell(c, kRing);
        CHECK(refused(m).find("past the end") != std::string::npos);
    }
    SUBCASE("doorbell rung with a byte instead of the 32-bit address") {
        uint8_t b = 1;
        last = c.write(vmb::Space::Pio, 0, {&b, 1});
        CHECK(refused(m).find("32-bit") != std::string::npos);
    }
}

TEST_CASE("debug-exit passes the guest's status byte") {
    test::FakeMachine m;
    devices::DebugExit d(m);
    uint8_t status = 3;
    const vmb::Response r = d.write(vmb::Space::Pio, 0, {&status, 1});
    REQUIRE(r.has_value());
    CHECK(r->kind == vmb::StopRequest::Kind::GuestExit);
    CHECK(r->status == 3);
    CHECK(m.completions.empty());
}
