#include <doctest/doctest.h>

#include "ptv/common/clock.hpp"
#include "ptv/vnd/dispatcher.hpp"

#include <thread>

using namespace ptv;
using namespace ptv::vnd;

namespace {
struct Recorder : vmb::Device {
    void plug_in(vmb::VirtualMotherboard&) override {}
    std::string_view name() const override { return "rec"; }
    void read(vmb::Space, uint64_t off, std::span<uint8_t> d) override {
        for (auto& b : d) b = uint8_t(0x40 + off);
        ++reads;
    }
    vmb::Response write(vmb::Space, uint64_t off, std::span<const uint8_t> d) override {
        last_offset = off;
        written.insert(written.end(), d.begin(), d.end());
        return {};
    }
    int reads = 0;
    uint64_t last_offset = ~0ull;
    std::vector<uint8_t> written;
};

Exit io(bool write, uint16_t port, uint8_t* data, uint8_t size = 1, uint32_t count = 1) {
    Exit e;
    e.reason = ExitReason::PortIo;
    e.is_write = write;
    e.address = port;
    e.size = size;
    e.count = count;
    e.data = data;
    e.t_exit_ns = now_ns();
    return e;
}
}  // namespace

TEST_CASE("port I/O goes to the claiming device at its offset, and string I/O repeats") {
    vmb::VirtualMotherboard board;
    Recorder dev;
    board.claim(vmb::Space::Pio, 0x3f8, 8, dev);
    NotificationDispatcher d(board);

    uint8_t bytes[3] = {'a', 'b', 'c'};
    auto e = io(true, 0x3f8, bytes, 1, 3);  // rep outsb, three bytes
    Notification n = d.dispatch(e);
    CHECK(n.target == 0);
    CHECK_FALSE(n.unclaimed);
    CHECK_FALSE(n.stop);
    CHECK(dev.written == std::vector<uint8_t>{'a', 'b', 'c'});
    CHECK(dev.last_offset == 0);

    uint8_t in = 0;
    auto r = io(false, 0x3fd, &in);
    d.dispatch(r);
    CHECK(in == 0x45);  // offset 5 (LSR)
    CHECK(d.by_reason(ExitReason::PortIo).count == 2);
    CHECK(d.by_target(0).count == 2);
    CHECK(d.total_exits() == 2);
}

TEST_CASE("a device with two ranges sees them as one register file, and is one target") {
    // The i8042's layout: data at 0x60, command/status at 0x64, and 0x61
    // someone else's.
    vmb::VirtualMotherboard board;
    Recorder kbc, other;
    board.claim(vmb::Space::Pio, 0x60, 1, kbc);
    board.claim(vmb::Space::Pio, 0x61, 1, other);
    board.claim(vmb::Space::Pio, 0x64, 1, kbc, 4);
    NotificationDispatcher d(board);

    uint8_t v = 0xad;
    auto w = io(true, 0x64, &v);
    CHECK(d.dispatch(w).target == 0);
    CHECK(kbc.last_offset == 4);
    w = io(true, 0x60, &v);
    CHECK(d.dispatch(w).target == 0);
    CHECK(kbc.last_offset == 0);
    w = io(true, 0x61, &v);
    CHECK(d.dispatch(w).target == 1);
    CHECK(other.last_offset == 0);
    uint8_t in = 0;
    auto r = io(false, 0x64, &in);
    d.dispatch(r);
    CHECK(in == 0x44);  // offset 4
    CHECK(board.devices().size() == 2);
    CHECK(d.by_target(0).count == 3);
}

TEST_CASE("unclaimed reads float high, writes vanish, both are counted as unclaimed") {
    vmb::VirtualMotherboard board;
    NotificationDispatcher d(board);
    uint32_t word = 0x12345678;
    auto r = io(false, 0x60, reinterpret_cast<uint8_t*>(&word), 4);
    Notification n = d.dispatch(r);
    CHECK(n.unclaimed);
    CHECK(word == 0xffffffff);
    CHECK(n.target == NotificationDispatcher::kUnclaimedPio);

    uint64_t q = 0;
    Exit m;
    m.reason = ExitReason::Mmio;
    m.is_write = false;
    m.address = 0xfee00000;
    m.size = 8;
    m.data = reinterpret_cast<uint8_t*>(&q);
    n = d.dispatch(m);
    CHECK(q == ~0ull);
    CHECK(n.target == NotificationDispatcher::kUnclaimedMmio);
    CHECK(d.target_name(NotificationDispatcher::kUnclaimedPio) == "unclaimed-pio");
    CHECK(d.target_name(NotificationDispatcher::kUnclaimedMmio) == "unclaimed-mmio");
    CHECK(d.by_target(NotificationDispatcher::kUnclaimedPio).count == 1);
    CHECK(d.by_target(NotificationDispatcher::kUnclaimedMmio).count == 1);
}

TEST_CASE("non-I/O exits go to the vCPU's own target and are counted by reason") {
    vmb::VirtualMotherboard board;
    NotificationDispatcher d(board);
    Exit h;
    h.reason = ExitReason::Hlt;
    CHECK(d.dispatch(h).target == NotificationDispatcher::kVcpu);
    CHECK(d.dispatch(h).target == NotificationDispatcher::kVcpu);
    Exit s;
    s.reason = ExitReason::Shutdown;
    Notification n = d.dispatch(s);
    CHECK(n.target == NotificationDispatcher::kVcpu);
    CHECK_FALSE(n.stop);
    CHECK(d.by_reason(ExitReason::Hlt).count == 2);
    CHECK(d.by_reason(ExitReason::Shutdown).count == 1);
    CHECK(d.by_target(NotificationDispatcher::kVcpu).count == 3);
    CHECK(d.target_name(NotificationDispatcher::kVcpu) == "vcpu");
}

TEST_CASE("the notification log records each exit, and drops past its capacity") {
    vmb::VirtualMotherboard board;
    Recorder dev;
    board.claim(vmb::Space::Pio, 0x80, 1, dev);
    NotificationDispatcher d(board);
    d.enable_log(2);
    for (int i = 0; i < 3; ++i) {
        uint8_t v = uint8_t(i);
        auto e = io(true, 0x80, &v);
        d.dispatch(e);
    }
    REQUIRE(d.log()->size() == 2);
    CHECK(d.log()->dropped() == 1);
    const auto& rec = d.log()->records()[1];
    CHECK(rec.address == 0x80);
    CHECK(rec.data == 1);
    CHECK(rec.is_write);
    CHECK(rec.t_exit <= rec.t_notify);
    CHECK(rec.t_notify <= rec.t_done);
    CHECK(d.total_exits() == 3);
}

namespace {
// A device that ends the run when the guest writes 0xff to it.
struct Stopper : vmb::Device {
    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, 0x700, 1, *this);
    }
    std::string_view name() const override { return "stopper"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t> d) override { d[0] = 0; }
    vmb::Response write(vmb::Space, uint64_t, std::span<const uint8_t> d) override {
        ++writes;
        if (d[0] != 0xff) return {};
        return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, "stopper", "0xff"};
    }
    int writes = 0;
};

// A strategy that counts what it carries, then delivers inline.
struct Counting : DispatchStrategy {
    std::string_view name() const override { return "counting"; }
    vmb::Response deliver(vmb::Device& device, const Access& a) override {
        ++delivered;
        return inner.deliver(device, a);
    }
    void submit(vmb::IoJob job) override { inner.submit(std::move(job)); }
    uint64_t jobs_run() const override { return inner.jobs_run(); }
    InlineDispatch inner;
    int delivered = 0;
};
}  // namespace

TEST_CASE("a device's request to stop comes back in its notification, and ends a string I/O") {
    vmb::VirtualMotherboard board;
    Stopper dev;
    dev.plug_in(board);
    NotificationDispatcher d(board);
    uint8_t ok = 1;
    auto e = io(true, 0x700, &ok);
    CHECK_FALSE(d.dispatch(e).stop);
    uint8_t bytes[3] = {1, 0xff, 2};  // rep outsb: the third byte is never delivered
    auto s = io(true, 0x700, bytes, 1, 3);
    const Notification n = d.dispatch(s);
    REQUIRE(n.stop);
    CHECK(n.stop->device == "stopper");
    CHECK(n.stop->message == "0xff");
    CHECK(dev.writes == 3);
}

TEST_CASE("the dispatch strategy carries every access: a replacement sees them all") {
    vmb::VirtualMotherboard board;
    Recorder dev;
    board.claim(vmb::Space::Pio, 0x3f8, 8, dev);
    NotificationDispatcher d(board);
    CHECK(d.strategy().name() == "inline");
    Counting counting;
    d.set_strategy(counting);
    uint8_t bytes[4] = {1, 2, 3, 4};
    auto e = io(true, 0x3f8, bytes, 1, 4);
    d.dispatch(e);
    CHECK(counting.delivered == 4);
    CHECK(dev.written == std::vector<uint8_t>{1, 2, 3, 4});
    CHECK(d.strategy().name() == "counting");
}

TEST_CASE("a device that joins the board after the dispatcher is routed and counted") {
    vmb::VirtualMotherboard board;
    Recorder first;
    board.claim(vmb::Space::Pio, 0x80, 1, first);
    NotificationDispatcher d(board);
    Stopper late;
    late.plug_in(board);  // no list anywhere names it
    REQUIRE(board.devices().size() == 2);
    CHECK(d.by_target(1).count == 0);
    uint8_t v = 7;
    auto e = io(true, 0x700, &v);
    CHECK(d.dispatch(e).target == 1);
    CHECK(d.by_target(1).count == 1);
    CHECK(d.target_name(1) == "stopper");
    const auto targets = d.targets();
    CHECK(targets == std::vector<uint16_t>{0, 1, NotificationDispatcher::kUnclaimedPio,
                                           NotificationDispatcher::kUnclaimedMmio,
                                           NotificationDispatcher::kVcpu});
}

TEST_CASE(
    "a completion from another thread is counted, logged against its notification, and "
    "handed to the guest notifier") {
    vmb::VirtualMotherboard board;
    Recorder dev;
    board.claim(vmb::Space::Pio, 0x80, 1, dev);
    NotificationDispatcher d(board);
    d.enable_log(16);
    uint8_t v = 1;
    auto e = io(true, 0x80, &v);
    const Notification n = d.dispatch(e);
    REQUIRE(n.id == 1);
    std::vector<vmb::Completion> told;
    d.set_guest_notifier([&](const vmb::Completion& c) { told.push_back(c); });
    std::thread device_thread([&] { d.complete({0, n.id, 42}); });
    device_thread.join();
    CHECK(d.completions() == 1);
    REQUIRE(told.size() == 1);
    CHECK(told[0].event == 42);
    const auto log = d.completion_log();
    REQUIRE(log.size() == 1);
    CHECK(log[0].notification == 1);
    CHECK(log[0].target == 0);
    CHECK(log[0].t_ns >= d.log()->records()[0].t_done);
}

TEST_CASE("the dispatcher times exits on the clock it is given") {
    vmb::VirtualMotherboard board;
    Recorder dev;
    board.claim(vmb::Space::Pio, 0x80, 1, dev);
    NotificationDispatcher d(board);
    uint64_t ticks = 5000;
    d.set_clock([](const void* t) { return *static_cast<const uint64_t*>(t); }, &ticks);
    d.enable_log(4);
    uint8_t v = 1;
    auto e = io(true, 0x80, &v);
    e.t_exit_ns = 4000;
    d.dispatch(e);
    const auto& rec = d.log()->records()[0];
    CHECK(rec.t_exit == 4000);
    CHECK(rec.t_notify == 5000);
    CHECK(rec.t_done == 5000);
    CHECK(d.by_target(0).total_ns == 1000);
}
