#include <doctest/doctest.h>

#include "ptv/common/clock.hpp"
#include "ptv/vnd/dispatcher.hpp"

using namespace ptv;
using namespace ptv::vnd;

namespace {
struct Recorder : vmb::Device {
    std::string_view name() const override { return "rec"; }
    void read(vmb::Space, uint64_t off, std::span<uint8_t> d) override {
        for (auto& b : d) b = uint8_t(0x40 + off);
        ++reads;
    }
    void write(vmb::Space, uint64_t off, std::span<const uint8_t> d) override {
        last_offset = off;
        written.insert(written.end(), d.begin(), d.end());
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
    CHECK(n.action == Action::Resume);
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

TEST_CASE("unclaimed reads float high, writes vanish, both are counted as unclaimed") {
    vmb::VirtualMotherboard board;
    NotificationDispatcher d(board);
    uint32_t word = 0x12345678;
    auto r = io(false, 0x60, reinterpret_cast<uint8_t*>(&word), 4);
    Notification n = d.dispatch(r);
    CHECK(n.unclaimed);
    CHECK(word == 0xffffffff);
    CHECK(n.target == d.unclaimed_pio_target());

    uint64_t q = 0;
    Exit m;
    m.reason = ExitReason::Mmio;
    m.is_write = false;
    m.address = 0xfee00000;
    m.size = 8;
    m.data = reinterpret_cast<uint8_t*>(&q);
    n = d.dispatch(m);
    CHECK(q == ~0ull);
    CHECK(n.target == d.unclaimed_mmio_target());
    CHECK(d.target_name(d.unclaimed_pio_target()) == "unclaimed-pio");
    CHECK(d.target_name(d.unclaimed_mmio_target()) == "unclaimed-mmio");
    CHECK(d.by_target(d.unclaimed_pio_target()).count == 1);
    CHECK(d.by_target(d.unclaimed_mmio_target()).count == 1);
}

TEST_CASE("non-I/O exits go to the handler registered for their reason") {
    vmb::VirtualMotherboard board;
    NotificationDispatcher d(board);
    int halts = 0;
    d.on(ExitReason::Hlt, [&](const Exit& e) {
        ++halts;
        return e.interrupts_enabled ? Action::Resume : Action::Stop;
    });
    Exit h;
    h.reason = ExitReason::Hlt;
    h.interrupts_enabled = true;
    CHECK(d.dispatch(h).action == Action::Resume);
    h.interrupts_enabled = false;
    CHECK(d.dispatch(h).action == Action::Stop);
    CHECK(halts == 2);
    // No handler for shutdown: the VM stops.
    Exit s;
    s.reason = ExitReason::Shutdown;
    Notification n = d.dispatch(s);
    CHECK(n.action == Action::Stop);
    CHECK(n.target == d.vcpu_target());
    CHECK(d.by_reason(ExitReason::Hlt).count == 2);
    CHECK(d.by_reason(ExitReason::Shutdown).count == 1);
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
