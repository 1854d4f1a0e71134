// The devices every ptvlab machine has, and the order they come up in: the
// legacy PC devices (COM1, the POST port, the debug-exit port), then the
// para-virtual console, then the microbenchmark MMIO page. The KVM worker
// and the CPU model's simulated machine both build their motherboard from
// this, so a guest meets the same machine on both.
#pragma once

#include <array>

#include "ptv/devices/debug_exit.hpp"
#include "ptv/devices/mmio_scratch.hpp"
#include "ptv/devices/post_code.hpp"
#include "ptv/devices/pv_console.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

struct StandardDevices {
    explicit StandardDevices(vmb::Machine& machine)
        : uart(machine), debug_exit(machine), pv_console(machine) {}

    // Claims each device's range on the board (claim order = bring-up order).
    void attach(vmb::VirtualMotherboard& board) {
        board.claim(vmb::Space::Pio, PTV_COM1_BASE, PTV_COM1_SIZE, uart);
        board.claim(vmb::Space::Pio, PTV_POST_CODE_PORT, 1, post_code);
        board.claim(vmb::Space::Pio, PTV_DEBUG_EXIT_PORT, PTV_DEBUG_EXIT_SIZE, debug_exit);
        board.claim(vmb::Space::Pio, PTV_PVCON_DOORBELL_PORT, PTV_PVCON_DOORBELL_SIZE, pv_console);
        board.claim(vmb::Space::Mmio, PTV_MMIO_SCRATCH_BASE, PTV_MMIO_SCRATCH_SIZE, mmio_scratch);
    }

    // {"uart": {...}, "post-code": {...}, ...}: each device's save_state()
    // under its name; load_state() hands each its record back (a device
    // missing from the record keeps its reset state).
    nlohmann::json save_state() const {
        nlohmann::json j = nlohmann::json::object();
        for (const vmb::Device* d : all()) j[std::string(d->name())] = d->save_state();
        return j;
    }
    void load_state(const nlohmann::json& j) {
        for (vmb::Device* d : all())
            if (auto it = j.find(std::string(d->name())); it != j.end() && !it->is_null())
                d->load_state(*it);
    }

    Uart16550 uart;
    PostCode post_code;
    DebugExit debug_exit;
    PvConsole pv_console;
    MmioScratch mmio_scratch;

  private:
    std::array<vmb::Device*, 5> all() {
        return {&uart, &post_code, &debug_exit, &pv_console, &mmio_scratch};
    }
    std::array<const vmb::Device*, 5> all() const {
        return {&uart, &post_code, &debug_exit, &pv_console, &mmio_scratch};
    }
};

}  // namespace ptv::devices
