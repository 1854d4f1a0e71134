// The event channel: binding its page, the bits a post sets and what it
// drops, and block/wake -- a waiter is woken by a post, by interrupt() or
// by its timeout, and no post is ever lost between its check and its sleep.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "async_machine.hpp"
#include "ptv/devices/event_channel.hpp"
#include "ptv/portmap.h"

using namespace ptv;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPage = 0x8000;

vmb::Response bind(devices::EventChannel& e, uint32_t gpa) {
    uint8_t b[4];
    std::memcpy(b, &gpa, 4);
    return e.write(vmb::Space::Pio, 0, b);
}

uint32_t word(test::AsyncMachine& m, uint32_t off) {
    uint32_t v;
    std::memcpy(&v, &m.memory[kPage + off], 4);
    return v;
}

// What the guest does with XCHG: takes vCPU c's bits and leaves 0.
uint32_t take(test::AsyncMachine& m, uint32_t c) {
    return std::atomic_ref<uint32_t>(
               *reinterpret_cast<uint32_t*>(&m.memory[kPage + PTV_EVTCHN_OFF_PENDING + 4 * c]))
        .exchange(0);
}

}  // namespace

TEST_CASE("event-channel: a post sets the vCPU's bit and counts it on the page") {
    test::AsyncMachine m;
    devices::EventChannel e(m);
    CHECK(e.name() == "event-channel");
    CHECK(e.kind() == "paravirtual");
    CHECK_FALSE(e.bound());
    e.post(0, 0);  // no page yet: dropped
    CHECK(e.pending(0) == 0);

    CHECK_FALSE(bind(e, kPage));
    CHECK(e.bound());
    uint8_t r[4] = {};
    e.read(vmb::Space::Pio, 0, r);
    uint32_t read_back;
    std::memcpy(&read_back, r, 4);
    CHECK(read_back == kPage);

    e.post(0, PTV_EVT_PVDISK);
    e.post(0, PTV_EVT_HOST_RING);
    e.post(0, PTV_EVT_PVDISK);  // already set: the bit stays, the count goes on
    e.post(3, 31);
    CHECK(word(m, PTV_EVTCHN_OFF_PENDING) == 0x3);
    CHECK(word(m, PTV_EVTCHN_OFF_PENDING + 12) == 0x80000000u);
    CHECK(word(m, PTV_EVTCHN_OFF_POSTS) == 3);
    CHECK(word(m, PTV_EVTCHN_OFF_POSTS + 12) == 1);
    CHECK(e.pending(0) == 0x3);
    CHECK(e.pending(3) == 0x80000000u);
    CHECK(e.pending(1) == 0);
    CHECK(e.pending(PTV_MAX_VCPUS) == 0);
    // Each post marks both words it wrote dirty (for live migration).
    CHECK(m.dirty.size() == 8);
    CHECK(m.dirty[0] == std::pair<uint64_t, uint64_t>{kPage + PTV_EVTCHN_OFF_PENDING, 4});
    CHECK(m.dirty[1] == std::pair<uint64_t, uint64_t>{kPage + PTV_EVTCHN_OFF_POSTS, 4});

    // No such vCPU, no such event: dropped, nothing written.
    const std::vector<uint8_t> before = m.memory;
    e.post(PTV_MAX_VCPUS, 0);
    e.post(0, 32);
    CHECK(m.memory == before);
    const auto s = e.stats();
    CHECK(s.posts == 4);
    CHECK(s.dropped == 3);
    CHECK(s.waits == 0);
    CHECK(s.wakes == 0);

    // 0 unbinds: posts are dropped again and pending reads 0.
    CHECK_FALSE(bind(e, 0));
    CHECK_FALSE(e.bound());
    CHECK(e.pending(0) == 0);
    e.post(0, 0);
    CHECK(e.stats().dropped == 4);
}

TEST_CASE("event-channel: a page that is not aligned or not in RAM stops the run, saying which") {
    test::AsyncMachine m;  // 1 MiB
    devices::EventChannel e(m);
    auto r = bind(e, kPage + 4);
    REQUIRE(r);
    CHECK(r->kind == vmb::StopRequest::Kind::DeviceError);
    CHECK(r->device == "event-channel");
    CHECK(r->message == "event page address 0x8004 is not 4 KiB aligned");
    r = bind(e, 0x100000);
    REQUIRE(r);
    CHECK(r->message == "event page 0x100000-0x100fff lies outside the guest's 1 MiB of RAM");
    r = bind(e, 0xfffff000);
    REQUIRE(r);
    CHECK(r->message.find("outside the guest's 1 MiB of RAM") != std::string::npos);
    uint8_t one = 1;
    r = e.write(vmb::Space::Pio, 0, {&one, 1});
    REQUIRE(r);
    CHECK(r->message.find("with 1 byte(s) at offset 0") != std::string::npos);
    CHECK_FALSE(e.bound());
    CHECK_FALSE(bind(e, 0xff000));  // the last page of RAM is fine
    CHECK(e.bound());
}

TEST_CASE("event-channel: wait returns at once, on a post, on interrupt() or at its timeout") {
    test::AsyncMachine m;
    devices::EventChannel e(m);
    REQUIRE_FALSE(bind(e, kPage));

    e.post(2, 5);
    CHECK(e.wait(2, 0ns));  // already pending: no sleep at all
    CHECK(e.stats().waits == 0);
    CHECK(take(m, 2) == 1u << 5);

    CHECK_FALSE(e.wait(2, 1ms));  // nothing comes
    CHECK(e.stats().waits == 1);
    CHECK(e.stats().wakes == 0);

    // A post from another thread wakes it; a post to another vCPU does not.
    std::thread poster([&] {
        std::this_thread::sleep_for(20ms);
        e.post(1, 0);
        std::this_thread::sleep_for(20ms);
        e.post(2, 0);
    });
    CHECK(e.wait(2, 10s));
    poster.join();
    CHECK(e.pending(2) == 1);
    CHECK(e.pending(1) == 1);
    CHECK(e.stats().waits == 2);
    CHECK(e.stats().wakes == 1);
    take(m, 2);

    // interrupt() ends a wait with nothing pending; a later wait sleeps anew.
    std::thread stopper([&] {
        std::this_thread::sleep_for(20ms);
        e.interrupt();
    });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(e.wait(2, 10s));
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    stopper.join();
    CHECK(e.stats().waits == 3);
    CHECK(e.stats().wakes == 1);
    CHECK_FALSE(e.wait(2, 1ms));
    CHECK(e.stats().waits == 4);
    // An interrupt() while no one waits ends each vCPU's next wait at once
    // (it may have come between the caller's check and its wait), once.
    e.interrupt();
    const auto t1 = std::chrono::steady_clock::now();
    CHECK_FALSE(e.wait(2, 10s));
    CHECK_FALSE(e.wait(4, 10s));
    CHECK(std::chrono::steady_clock::now() - t1 < 5s);
    CHECK(e.stats().waits == 4);  // neither slept
    CHECK_FALSE(e.wait(2, 1ms));
    CHECK(e.stats().waits == 5);
    // A post is still seen first.
    e.interrupt();
    e.post(2, 1);
    CHECK(e.wait(2, 10s));
    take(m, 2);
    CHECK_FALSE(e.wait(2, 10s));  // then the interrupt
    // A vCPU that does not exist never sleeps (nothing could wake it).
    CHECK_FALSE(e.wait(PTV_MAX_VCPUS, 10s));
    CHECK(e.stats().waits == 5);
}

TEST_CASE(
    "event-channel: no wake-up is lost, round after round, with the poster racing the sleep") {
    test::AsyncMachine m;
    devices::EventChannel e(m);
    REQUIRE_FALSE(bind(e, kPage));
    constexpr int kRounds = 2000;
    std::atomic<int> taken{0};  // rounds the waiter has finished
    std::thread poster([&] {
        for (int i = 0; i < kRounds; ++i) {
            while (taken.load() < i) std::this_thread::yield();
            // Post at once or a little later: sometimes before the waiter
            // checks, sometimes while it goes to sleep, sometimes after.
            if (i % 3 == 1) std::this_thread::yield();
            if (i % 3 == 2) std::this_thread::sleep_for(10us);
            e.post(0, i % 2);
        }
    });
    int woken = 0;
    for (int i = 0; i < kRounds; ++i) {
        // A lost wake-up would sleep out the whole timeout and fail here.
        if (!e.wait(0, 5s)) break;
        CHECK(take(m, 0) == 1u << (i % 2));
        ++woken;
        taken.store(i + 1);
    }
    poster.join();
    CHECK(woken == kRounds);
    const auto s = e.stats();
    CHECK(s.posts == kRounds);
    CHECK(s.wakes == s.waits);  // every sleep ended by its post
    CHECK(word(m, PTV_EVTCHN_OFF_POSTS) == kRounds);
}

TEST_CASE("event-channel: the bound page is saved and loaded, an impossible one refused") {
    test::AsyncMachine m;
    devices::EventChannel e(m);
    REQUIRE_FALSE(bind(e, kPage));
    const nlohmann::json saved = nlohmann::json::parse(e.save_state().dump());
    CHECK(saved == nlohmann::json{{"page", kPage}});
    test::AsyncMachine m2;
    devices::EventChannel e2(m2);
    e2.load_state(saved);
    CHECK(e2.bound());
    e2.post(1, 1);
    uint32_t v;
    std::memcpy(&v, &m2.memory[kPage + PTV_EVTCHN_OFF_PENDING + 4], 4);
    CHECK(v == 2);
    CHECK_THROWS_AS(e2.load_state({{"page", kPage + 1}}), std::invalid_argument);
    CHECK_THROWS_AS(e2.load_state({{"page", 0x100000}}), std::invalid_argument);
    e2.load_state({{"page", 0}});
    CHECK_FALSE(e2.bound());
}
