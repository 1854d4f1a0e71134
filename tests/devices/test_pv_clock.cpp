// The para-virtualized clock page: what the host writes and when, the
// seqlock a guest relies on, and the addresses it refuses.
#include <doctest/doctest.h>

#include <cstring>

#include "clocked_machine.hpp"
#include "ptv/devices/pv_clock.hpp"
#include "ptv/portmap.h"

using namespace ptv;

namespace {

constexpr uint32_t kPage = 0x4000;

template <class T>
T field(test::ClockedMachine& m, uint32_t off, uint32_t page = kPage) {
    T v;
    std::memcpy(&v, &m.memory[page + off], sizeof v);
    return v;
}

vmb::Response ring(devices::PvClock& c, uint32_t gpa) {
    uint8_t b[4];
    std::memcpy(b, &gpa, 4);
    return c.write(vmb::Space::Pio, 0, b);
}

}  // namespace

TEST_CASE("pv-clock: the page shows the machine's time since it started, rewritten by refresh") {
    test::ClockedMachine m;
    m.now = 3'000'000;  // the machine's clock does not start at 0 (KVM: host monotonic)
    devices::PvClock clock(m);
    clock.refresh();  // no page yet: nothing written
    CHECK(clock.updates() == 0);

    m.now = 3'500'000;
    CHECK_FALSE(ring(clock, kPage));
    CHECK(field<uint32_t>(m, PTV_PVCLOCK_OFF_VERSION) == 2);
    CHECK(field<uint32_t>(m, PTV_PVCLOCK_OFF_PERIOD_US) == 1000);
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_TIME_NS) == 500'000);
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_UPDATES) == 1);
    CHECK(m.dirty.back() == std::pair<uint64_t, uint64_t>{kPage, 24});

    m.now = 4'500'000;
    clock.refresh();
    CHECK(field<uint32_t>(m, PTV_PVCLOCK_OFF_VERSION) == 4);  // even: not being written
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_TIME_NS) == 1'500'000);
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_UPDATES) == 2);
    CHECK(m.dirty.size() == 2);
    // A caller late for its deadline writes the deadline's time.
    m.now = 5'600'000;
    clock.refresh_as_of(5'500'000);
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_TIME_NS) == 2'500'000);
    CHECK(field<uint32_t>(m, PTV_PVCLOCK_OFF_VERSION) == 6);

    uint8_t back[4] = {};
    clock.read(vmb::Space::Pio, 0, back);
    uint32_t gpa;
    std::memcpy(&gpa, back, 4);
    CHECK(gpa == kPage);
}

TEST_CASE("pv-clock: writing 0 turns it off, and the page then stays as it was") {
    test::ClockedMachine m;
    devices::PvClock clock(m);
    CHECK_FALSE(ring(clock, kPage));
    CHECK_FALSE(ring(clock, 0));
    CHECK(clock.page() == 0);
    m.now = 9'000'000;
    clock.refresh();
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_UPDATES) == 1);
    CHECK(field<uint64_t>(m, PTV_PVCLOCK_OFF_TIME_NS) == 0);
    CHECK(clock.updates() == 1);
    CHECK(field<uint32_t>(m, 0, 0) == 0);  // nothing written at address 0
}

TEST_CASE("pv-clock: a page that is not aligned or not in RAM stops the VM, saying which") {
    test::ClockedMachine m;  // 1 MiB of RAM
    devices::PvClock clock(m);
    auto error = [&](uint32_t gpa) {
        auto r = ring(clock, gpa);
        REQUIRE(r);
        CHECK(r->kind == vmb::StopRequest::Kind::DeviceError);
        CHECK(r->device == "pv-clock");
        return r->message;
    };
    CHECK(error(0x4001) == "clock page address 0x4001 is not 4 KiB aligned");
    CHECK(error(0x100000) == "clock page 0x100000-0x100fff lies outside the guest's 1 MiB of RAM");
    CHECK(error(0xfffff000).find("outside the guest's 1 MiB") != std::string::npos);
    CHECK_FALSE(ring(clock, 0xff000));  // the last page of RAM is fine
    const uint8_t one = 1;
    auto narrow = clock.write(vmb::Space::Pio, 0, {&one, 1});
    REQUIRE(narrow);
    CHECK(narrow->message.find("32-bit OUT") != std::string::npos);
    CHECK(clock.page() == 0xff000);  // a refused write changed nothing
}

TEST_CASE("pv-clock: time continues across save and load, in another machine with another clock") {
    test::ClockedMachine a;
    devices::PvClock source(a);
    CHECK_FALSE(ring(source, kPage));
    a.now = 7'000'000;
    source.refresh();
    const nlohmann::json saved = source.save_state();
    CHECK(saved.at("time_ns") == 7'000'000);

    test::ClockedMachine b;
    b.now = 123'456'789'000;
    devices::PvClock target(b);
    target.load_state(saved);
    CHECK(target.time_ns() == 7'000'000);
    b.now += 250'000;
    target.refresh();
    CHECK(field<uint64_t>(b, PTV_PVCLOCK_OFF_TIME_NS) == 7'250'000);
    CHECK(field<uint32_t>(b, PTV_PVCLOCK_OFF_VERSION) == 6);  // the source wrote twice
    CHECK(field<uint64_t>(b, PTV_PVCLOCK_OFF_UPDATES) == 3);

    nlohmann::json bad = saved;
    bad["page"] = 0x4001;
    CHECK_THROWS_AS(target.load_state(bad), std::invalid_argument);
    bad = saved;
    bad["version"] = 3;
    CHECK_THROWS_AS(target.load_state(bad), std::invalid_argument);
}
