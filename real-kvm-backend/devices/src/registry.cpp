#include "ptv/devices/registry.hpp"

#include "ptv/devices/debug_exit.hpp"
#include "ptv/devices/event_channel.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/devices/i8042.hpp"
#include "ptv/devices/mmio_scratch.hpp"
#include "ptv/devices/pit8254.hpp"
#include "ptv/devices/post_code.hpp"
#include "ptv/devices/pv_clock.hpp"
#include "ptv/devices/pv_console.hpp"
#include "ptv/devices/pv_disk.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/devices/vga_text.hpp"

namespace ptv::devices {

namespace {

template <class D>
DeviceEntry entry(std::string_view name, InitLevel level) {
    return {name, level, [](vmb::Machine& m) -> std::unique_ptr<vmb::Device> {
                if constexpr (std::is_constructible_v<D, vmb::Machine&>)
                    return std::make_unique<D>(m);
                else
                    return std::make_unique<D>();
            }};
}

}  // namespace

const std::vector<DeviceEntry>& standard_devices() {
    // The legacy PC devices first (COM1, the POST port, the debug-exit
    // port, the 8254 PIT, the keyboard controller, the VGA text console),
    // then the para-virtual console and clock, the event channel and the
    // asynchronous disk that posts to it, the ring on which the host's
    // clients send the guest requests, then the microbenchmark page.
    static const std::vector<DeviceEntry> entries = {
        entry<Uart16550>("uart", InitLevel::Dev),
        entry<PostCode>("post-code", InitLevel::Dev),
        entry<DebugExit>("debug-exit", InitLevel::Dev),
        entry<Pit8254>("pit", InitLevel::Dev),
        entry<I8042>("i8042", InitLevel::Dev),
        entry<VgaText>("vga", InitLevel::Dev),
        entry<PvConsole>("pv-console", InitLevel::Paravirtual),
        entry<PvClock>("pv-clock", InitLevel::Paravirtual),
        entry<EventChannel>("event-channel", InitLevel::Paravirtual),
        entry<PvDisk>("pv-disk", InitLevel::Paravirtual),
        entry<HostRing>("host-ring", InitLevel::Paravirtual),
        entry<MmioScratch>("mmio-scratch", InitLevel::Late),
    };
    return entries;
}

}  // namespace ptv::devices
