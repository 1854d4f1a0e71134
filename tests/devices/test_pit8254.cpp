// The 8254 PIT against its datasheet (Intel 231164), on a machine whose time
// the test sets: every value below is exact. Times are given in CLK ticks
// after the count was written (the count reaches CE at tick 1).
#include <doctest/doctest.h>

#include <random>

#include "clocked_machine.hpp"
#include "ptv/devices/pit8254.hpp"
#include "ptv/portmap.h"

using namespace ptv;

namespace {

constexpr uint16_t C0 = PTV_PIT_COUNTER0, C2 = PTV_PIT_COUNTER2, CW = PTV_PIT_CONTROL,
                   PORT_B = PTV_SYSCTL_B_PORT;
constexpr uint64_t kStart = 1'000'000;  // machine time of the first write

// The first nanosecond at which `k` CLK pulses have passed.
uint64_t at_tick(uint64_t k) {
    return (k * 1'000'000'000 + PTV_PIT_HZ - 1) / PTV_PIT_HZ;
}

struct Pit {
    test::ClockedMachine m;
    devices::Pit8254 pit{m};
    test::PortBus bus{pit};
    Pit() { m.now = kStart; }
    void at(uint64_t tick, uint64_t from = kStart) { m.now = from + at_tick(tick); }
    void out(uint16_t port, uint8_t v) { bus.out(port, v); }
    uint8_t in(uint16_t port) { return bus.in(port); }
    // Counter Latch Command, then LSB and MSB.
    uint16_t latched16(unsigned counter) {
        out(CW, uint8_t(counter << 6));
        const uint8_t lo = in(uint16_t(C0 + counter));
        return uint16_t(lo | in(uint16_t(C0 + counter)) << 8);
    }
    // Read-Back Command: the status of one counter.
    uint8_t status(unsigned counter) {
        out(CW, uint8_t(0xe0 | 2u << counter));
        return in(uint16_t(C0 + counter));
    }
    bool out0() { return status(0) & 0x80; }
};

}  // namespace

TEST_CASE("pit: a latched count stays frozen while time moves, until it has been read") {
    Pit p;
    p.out(CW, 0x34);  // counter 0, LSB then MSB, mode 2, binary
    p.out(C0, 0x00);
    p.out(C0, 0x10);  // N = 4096
    p.at(101);        // 100 ticks after the load: 3996
    p.out(CW, 0x00);  // Counter Latch Command
    p.at(2001);
    CHECK(p.in(C0) == 0x9c);
    p.at(3001);
    CHECK(p.in(C0) == 0x0f);                      // 3996 = 0x0f9c, read long after
    CHECK(p.latched16(0) == 4096 - 3000 % 4096);  // unlatched: the live count again
}

TEST_CASE("pit: mode 2 counts N..1 and reloads, OUT low for the one tick at count 1") {
    Pit p;
    p.out(CW, 0x14);  // counter 0, LSB only, mode 2
    p.out(C0, 100);
    auto count = [&](uint64_t tick) {
        p.at(tick);
        p.out(CW, 0x00);
        return p.in(C0);  // LSB only: one byte per latch
    };
    CHECK(count(1) == 100);
    CHECK(count(50) == 51);
    CHECK(count(100) == 1);
    CHECK(count(101) == 100);  // reloaded
    CHECK(count(150) == 51);
    CHECK(count(200) == 1);
    CHECK(count(201) == 100);
    p.at(99);
    CHECK(p.out0());
    p.at(100);
    CHECK_FALSE(p.out0());
    p.at(101);
    CHECK(p.out0());
    p.at(200);
    CHECK_FALSE(p.out0());
}

TEST_CASE("pit: a new mode 2 count written while counting starts at the end of the period") {
    Pit p;
    p.out(CW, 0x14);
    p.out(C0, 100);
    p.at(31);  // k = 30, CE 70: 70 ticks to the end of the period
    p.out(C0, 50);
    CHECK((p.status(0) & 0x40) != 0);  // NULL COUNT until the load
    p.at(100);
    CHECK((p.status(0) & 0x40) != 0);
    p.at(101);  // the old period ended: CE = the new 50
    CHECK((p.status(0) & 0x40) == 0);
    p.out(CW, 0x00);
    CHECK(p.in(C0) == 50);
    p.at(150);
    p.out(CW, 0x00);
    CHECK(p.in(C0) == 1);
}

TEST_CASE("pit: mode 0 OUT goes high exactly N ticks after the load and the counter wraps on") {
    Pit p;
    p.out(CW, 0x30);  // counter 0, LSB then MSB, mode 0
    CHECK_FALSE(p.out0());
    p.out(C0, 0xe8);
    p.out(C0, 0x03);  // N = 1000
    p.at(1000);
    CHECK(p.latched16(0) == 1);
    CHECK_FALSE(p.out0());
    p.at(1001);
    CHECK(p.latched16(0) == 0);
    CHECK(p.out0());
    p.at(1002);
    CHECK(p.latched16(0) == 65535);  // keeps counting, wrapping
    CHECK(p.out0());                 // and OUT stays high

    // The first byte of a two-byte count stops counting, OUT low at once;
    // the second loads the count on the next CLK pulse.
    p.at(2000);  // k = 1999: CE = 1000 - 1999 + 65536
    p.out(C0, 0x10);
    CHECK_FALSE(p.out0());
    p.at(3000);
    CHECK(p.latched16(0) == 64537);  // frozen
    const uint64_t second = p.m.now;
    p.out(C0, 0x00);  // N = 16
    p.at(1, second);
    CHECK(p.latched16(0) == 16);
    p.at(16, second);
    CHECK_FALSE(p.out0());
    p.at(17, second);
    CHECK(p.out0());
}

TEST_CASE("pit: mode 3 square wave on counter 2, gated and read back through port 0x61") {
    Pit p;
    p.out(PORT_B, 0x03);  // counter 2's GATE and the speaker on
    p.out(CW, 0xb6);      // counter 2, LSB then MSB, mode 3
    p.out(C2, 5);
    p.out(C2, 0);  // N = 5: OUT high 3 ticks, low 2
    auto out2 = [&](uint64_t tick) {
        p.at(tick);
        return (p.in(PORT_B)&0x20) != 0;
    };
    const bool expected[] = {true, true, true, false, false, true, true, true, false, false, true};
    for (uint64_t k = 1; k <= 11; ++k) {
        CAPTURE(k);
        CHECK(out2(k) == expected[k - 1]);
    }
    const uint16_t odd[] = {4, 2, 0, 4, 2, 4};  // N-1 counting down by 2 in each half
    for (uint64_t k = 1; k <= 6; ++k) {
        CAPTURE(k);
        p.at(k);
        CHECK(p.latched16(2) == odd[k - 1]);
    }
    CHECK(p.pit.speaker_hz() == doctest::Approx(1193182.0 / 5));

    p.out(CW, 0xb6);
    const uint64_t w = p.m.now;
    p.out(C2, 6);
    p.out(C2, 0);  // N = 6: 6 4 2 high, 6 4 2 low
    const uint16_t even[] = {6, 4, 2, 6, 4, 2, 6};
    const bool even_out[] = {true, true, true, false, false, false, true};
    for (uint64_t k = 1; k <= 7; ++k) {
        CAPTURE(k);
        p.at(k, w);
        CHECK(p.latched16(2) == even[k - 1]);
        CHECK(((p.in(PORT_B)&0x20) != 0) == even_out[k - 1]);
    }
    p.at(10, w);          // low half
    p.out(PORT_B, 0x02);  // GATE low: OUT high at once, counting stops
    CHECK((p.in(PORT_B)&0x20) != 0);
    const uint16_t held = p.latched16(2);
    p.at(50, w);
    CHECK(p.latched16(2) == held);
    CHECK_FALSE(p.pit.speaker_hz());  // GATE off: silence
    p.out(PORT_B, 0x01);
    CHECK_FALSE(p.pit.speaker_hz());  // speaker data off: silence
}

TEST_CASE("pit: mode 4 strobes OUT low for one tick, mode 1 waits for a GATE trigger") {
    Pit p;
    p.out(CW, 0x18);  // counter 0, LSB only, mode 4
    p.out(C0, 10);
    p.at(10);
    CHECK(p.out0());
    p.at(11);  // k = N: the strobe
    CHECK_FALSE(p.out0());
    p.out(CW, 0x00);
    CHECK(p.in(C0) == 0);
    p.at(12);
    CHECK(p.out0());

    // Counter 2's CLK counts from machine time 0 until a count is loaded on
    // the next pulse after a write; mode 1 loads only on a GATE trigger.
    p.out(CW, 0xb2);  // counter 2, LSB then MSB, mode 1
    p.out(C2, 5);
    p.out(C2, 0);
    p.m.now = at_tick(3000);              // later than anything above
    CHECK((p.status(2) & 0xc0) == 0xc0);  // OUT high, NULL COUNT: no trigger yet
    p.out(PORT_B, 0x01);                  // GATE rises: a trigger
    p.m.now = at_tick(3001);
    CHECK(p.status(2) == 0x32);  // loaded: OUT low, NULL COUNT clear
    CHECK(p.latched16(2) == 5);
    p.m.now = at_tick(3005);
    CHECK((p.status(2) & 0x80) == 0);
    p.m.now = at_tick(3006);
    CHECK(p.status(2) == 0xb2);  // CE reached 0: OUT high
}

TEST_CASE("pit: read-back status: OUT, NULL COUNT until one tick after the count, the mode bits") {
    Pit p;
    p.out(CW, 0x34);
    CHECK(p.status(0) == 0xf4);  // OUT high (mode 2), NULL COUNT, RW 11, mode 010
    p.out(C0, 0);
    p.out(C0, 0);  // N = 65536
    p.m.now = kStart + at_tick(1) - 1;
    CHECK(p.status(0) == 0xf4);
    p.at(1);
    CHECK(p.status(0) == 0xb4);  // loaded: NULL COUNT clear
    // Status and count latched together: the status is read first.
    p.at(11);
    p.out(CW, 0xc2);
    CHECK(p.in(C0) == 0xb4);
    CHECK(p.in(C0) == 0xf6);
    CHECK(p.in(C0) == 0xff);  // 65526
    // A second latch before the first was read is ignored.
    p.at(21);
    p.out(CW, 0x00);
    p.at(31);
    p.out(CW, 0x00);
    p.out(CW, 0xd2);  // a Read-Back of the count too
    CHECK(p.in(C0) == 0xec);
    CHECK(p.in(C0) == 0xff);  // 65516: the first latch
    p.at(41);
    CHECK(p.in(C0) == 0xd8);  // live again: 65496
    CHECK(p.in(C0) == 0xff);
    // Mode bits 111 are mode 3, and come back as written.
    p.out(CW, 0x3e);
    CHECK(p.status(0) == 0xfe);
}

TEST_CASE("pit: BCD counting: four decimal digits, 0 is 10000") {
    Pit p;
    p.out(CW, 0x35);  // mode 2, BCD
    p.out(C0, 0x00);
    p.out(C0, 0x01);  // 100 decimal
    const std::pair<uint64_t, uint16_t> seen[] = {
        {1, 0x0100}, {2, 0x0099}, {11, 0x0090}, {100, 0x0001}, {101, 0x0100}};
    for (auto [tick, bcd] : seen) {
        CAPTURE(tick);
        p.at(tick);
        CHECK(p.latched16(0) == bcd);
    }
    p.out(CW, 0x35);
    const uint64_t w = p.m.now;
    p.out(C0, 0);
    p.out(C0, 0);  // 10000
    p.at(1, w);
    CHECK(p.latched16(0) == 0x0000);
    p.at(2, w);
    CHECK(p.latched16(0) == 0x9999);
}

TEST_CASE("pit: the LSB/MSB flip-flops, and LSB-only and MSB-only counts") {
    Pit p;
    p.out(CW, 0x30);
    p.out(C0, 0x34);
    p.out(C0, 0x12);
    p.at(1);
    CHECK(p.in(C0) == 0x34);  // live reads alternate
    CHECK(p.in(C0) == 0x12);
    CHECK(p.in(C0) == 0x34);
    p.out(CW, 0x30);          // a Control Word resets the flip-flops
    CHECK(p.in(C0) == 0x34);  // (CE holds its value until a count is loaded)
    p.out(C0, 0x78);          // and the write flip-flop: LSB first again
    p.out(C0, 0x56);
    const uint64_t w = p.m.now;
    p.at(1, w);
    CHECK(p.latched16(0) == 0x5678);

    p.out(CW, 0x20);  // MSB only, mode 0
    const uint64_t w2 = p.m.now;
    p.out(C0, 0x12);  // N = 0x1200
    p.at(1, w2);
    CHECK(p.in(C0) == 0x12);
    p.at(257, w2);
    CHECK(p.in(C0) == 0x11);  // 0x1100

    p.out(CW, 0x10);  // LSB only
    const uint64_t w3 = p.m.now;
    p.out(C0, 0x34);
    p.at(5, w3);
    CHECK(p.in(C0) == 0x30);
}

TEST_CASE("pit: port 0x61 keeps bits 0-3, toggles refresh every 15.085 us, shows OUT 2") {
    Pit p;
    p.m.now = 0;
    p.out(PORT_B, 0xff);
    CHECK(p.in(PORT_B) == 0x0f);  // OUT 2 low (mode 0, no count), refresh 0
    p.m.now = 15'085;
    CHECK(p.in(PORT_B) == 0x1f);
    p.m.now = 30'169;
    CHECK(p.in(PORT_B) == 0x1f);
    p.m.now = 30'170;
    CHECK(p.in(PORT_B) == 0x0f);
    p.out(PORT_B, 0x00);
    CHECK(p.in(PORT_B) == 0x00);
    // Counter 2 in mode 0 with GATE low does not count; GATE high does.
    p.out(CW, 0xb0);
    const uint64_t w = p.m.now;
    p.out(C2, 10);
    p.out(C2, 0);
    p.at(50, w);
    CHECK(p.latched16(2) == 10);
    p.out(PORT_B, 0x01);
    const uint64_t g = p.m.now;
    p.at(4, g);
    CHECK(p.latched16(2) == 6);
    p.at(10, g);
    CHECK((p.in(PORT_B)&0x20) != 0);  // terminal count: OUT 2 high
}

TEST_CASE("pit: save and load: a restored PIT counts on from where it was, latches included") {
    Pit a;
    a.m.now = 5'000'000;
    a.out(CW, 0x34);
    a.out(C0, 0xe8);
    a.out(C0, 0x03);  // N = 1000
    a.at(300, 5'000'000);
    a.out(CW, 0x00);  // latch 701
    CHECK(a.in(C0) == uint8_t(701));
    const nlohmann::json saved = a.pit.save_state();
    CHECK(a.in(C0) == 701 >> 8);

    Pit b;
    b.m.now = 777'777'777;
    b.pit.load_state(saved);
    CHECK(b.in(C0) == 701 >> 8);  // the MSB the guest had not read yet
    b.at(600, 777'777'777 - at_tick(300));
    a.at(600, 5'000'000);
    CHECK(b.latched16(0) == 401);
    CHECK(a.latched16(0) == 401);
    CHECK(b.pit.save_state() == a.pit.save_state());

    nlohmann::json bad = saved;
    bad["counters"][0]["n"] = 0;
    CHECK_THROWS_AS(b.pit.load_state(bad), std::invalid_argument);
    CHECK_THROWS_AS(b.pit.load_state({{"counters", nlohmann::json::array()}, {"port_b", 0}}),
                    std::invalid_argument);
}

namespace {
// After anything at all, programming the counters must give exactly what
// it gives on a fresh PIT.
void check_consistent(Pit& p) {
    p.out(PORT_B, 0x01);  // counter 2's GATE high
    for (unsigned c = 0; c < 3; ++c) {
        CAPTURE(c);
        p.out(CW, uint8_t(c << 6 | 0x34));
        const uint64_t w = p.m.now;
        p.out(uint16_t(C0 + c), 0x00);
        p.out(uint16_t(C0 + c), 0x01);  // N = 256
        CHECK((p.status(c) & 0x7f) == 0x74);
        p.at(1, w);
        CHECK(p.status(c) == 0xb4);
        CHECK(p.latched16(c) == 256);
        p.at(10, w);
        CHECK(p.latched16(c) == 247);
        p.m.now += 1'000'000;
    }
}
}  // namespace

TEST_CASE("pit: every byte written to the control port, then garbage, leaves it consistent") {
    for (unsigned b = 0; b < 256; ++b) {
        CAPTURE(b);
        Pit p;
        p.out(CW, uint8_t(b));
        for (uint16_t port : {C0, uint16_t(C0 + 1), C2, CW, PORT_B}) {
            (void)p.in(port);
            p.out(port, uint8_t(b * 7));
            p.m.now += 997;
            (void)p.in(port);
        }
        check_consistent(p);
    }
    Pit p;
    Pit mirror;  // fed save_state() now and then: it must read the same
    std::mt19937 rng(1);
    const uint16_t ports[] = {C0, uint16_t(C0 + 1), C2, CW, PORT_B};
    for (int i = 0; i < 200'000; ++i) {
        const uint16_t port = ports[rng() % 5];
        p.m.now += rng() % 4 == 0 ? rng() % 100'000'000 : rng() % 3000;
        if (rng() % 2)
            p.out(port, uint8_t(rng()));
        else
            (void)p.in(port);
        if (i % 10'000 == 0) {
            mirror.m.now = p.m.now;
            mirror.pit.load_state(p.pit.save_state());
            for (uint16_t q : ports) REQUIRE(mirror.in(q) == p.in(q));
        }
    }
    // Wide accesses reach consecutive ports; past 0x43 reads are 0xff.
    uint8_t four[4] = {0, 0, 0, 0};
    p.pit.read(vmb::Space::Pio, 3, four);
    CHECK(four[0] == 0xff);
    CHECK(four[3] == 0xff);
    const uint8_t two[2] = {0x34, 0x34};  // counter 2's LSB, then a Control Word
    CHECK_FALSE(p.pit.write(vmb::Space::Pio, 2, two));
    check_consistent(p);
}
