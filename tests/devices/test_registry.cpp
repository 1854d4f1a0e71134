// The device registry: every machine's devices, each claiming its own
// ranges, and a device a test (or a lab) adds without editing any list.
#include <doctest/doctest.h>

#include "../support/fake_machine.hpp"
#include "ptv/devices/device_set.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/portmap.h"
#include "ptv/vnd/dispatcher.hpp"

using namespace ptv;

namespace {

// A device only this test knows: a counter at port 0x600 (reads return how
// often it was written).
class TickCounter : public vmb::Device {
  public:
    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, 0x600, 2, *this);
    }
    std::string_view name() const override { return "tick-counter"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t> d) override { d[0] = uint8_t(ticks_); }
    vmb::Response write(vmb::Space, uint64_t, std::span<const uint8_t>) override {
        ++ticks_;
        return {};
    }
    nlohmann::json save_state() const override { return {{"ticks", ticks_}}; }
    void load_state(const nlohmann::json& s) override { ticks_ = s.at("ticks").get<int>(); }

  private:
    int ticks_ = 0;
};

std::vector<std::string> names(const vmb::VirtualMotherboard& b) {
    std::vector<std::string> n;
    for (const auto* d : b.devices()) n.emplace_back(d->name());
    return n;
}

}  // namespace

TEST_CASE("the standard devices come up in their order and claim their own ranges") {
    test::FakeMachine m;
    devices::DeviceSet set(m);
    vmb::VirtualMotherboard board;
    set.plug_into(board);
    CHECK(names(board) == std::vector<std::string>{"uart", "post-code", "debug-exit", "pit",
                                                   "i8042", "vga", "pv-console", "pv-clock",
                                                   "event-channel", "pv-disk", "host-ring",
                                                   "mmio-scratch"});
    CHECK(board.find(vmb::Space::Pio, PTV_PIT_CONTROL)->device->name() == "pit");
    CHECK(board.find(vmb::Space::Pio, PTV_SYSCTL_B_PORT)->device->name() == "pit");
    CHECK(board.find(vmb::Space::Pio, PTV_PVCLOCK_PORT)->device->name() == "pv-clock");
    CHECK(board.find(vmb::Space::Pio, PTV_EVTCHN_PORT)->device->name() == "event-channel");
    CHECK(board.find(vmb::Space::Pio, PTV_PVDISK_QUEUE_PORT)->device->name() == "pv-disk");
    CHECK(board.find(vmb::Space::Pio, PTV_PVDISK_NOTIFY_PORT)->device->name() == "pv-disk");
    CHECK(board.find(vmb::Space::Pio, PTV_HOSTRING_QUEUE_PORT)->device->name() == "host-ring");
    CHECK(board.find(vmb::Space::Pio, PTV_HOSTRING_NOTIFY_PORT)->device->name() == "host-ring");
    CHECK(board.find(vmb::Space::Pio, PTV_COM1_BASE + 5)->device->name() == "uart");
    CHECK(board.find(vmb::Space::Pio, PTV_DEBUG_EXIT_PORT)->device->name() == "debug-exit");
    CHECK(board.find(vmb::Space::Pio, PTV_I8042_DATA_PORT)->device->name() == "i8042");
    CHECK(board.find(vmb::Space::Pio, PTV_I8042_STATUS_PORT)->device->name() == "i8042");
    CHECK(board.find(vmb::Space::Pio, PTV_VGA_CRTC_DATA)->device->name() == "vga");
    CHECK(board.find(vmb::Space::Mmio, PTV_MMIO_SCRATCH_BASE + 8)->device->name() ==
          "mmio-scratch");
    CHECK(&set.get<devices::Uart16550>() == set.find("uart"));
    CHECK(set.find("no-such-device") == nullptr);
}

TEST_CASE("a device added at run time is plugged in by its level, routed, counted and saved") {
    test::FakeMachine m;
    devices::DeviceSet set(m);
    auto& tick = set.add(std::make_unique<TickCounter>(), devices::InitLevel::Base);
    vmb::VirtualMotherboard board;
    set.plug_into(board);
    // Base comes before the standard devices' Dev level.
    CHECK(names(board).front() == "tick-counter");

    vnd::NotificationDispatcher d(board);
    uint8_t v = 0;
    vnd::Exit e;
    e.reason = vnd::ExitReason::PortIo;
    e.is_write = true;
    e.address = 0x601;
    e.size = 1;
    e.data = &v;
    for (int i = 0; i < 3; ++i) CHECK(d.dispatch(e).target == 0);
    CHECK(d.by_target(0).count == 3);
    CHECK(d.target_name(0) == "tick-counter");

    e.is_write = false;
    d.dispatch(e);
    CHECK(v == 3);
    CHECK(set.save_state()["tick-counter"]["ticks"] == 3);
    CHECK(&tick == set.find("tick-counter"));
}

TEST_CASE("two devices that claim the same port are refused when plugged in") {
    test::FakeMachine m;
    devices::DeviceSet set(m);
    set.add(std::make_unique<TickCounter>());
    set.add(std::make_unique<TickCounter>());
    vmb::VirtualMotherboard board;
    CHECK_THROWS_WITH_AS(set.plug_into(board), doctest::Contains("overlaps tick-counter"),
                         std::invalid_argument);
}
