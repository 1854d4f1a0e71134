// A fake machine for the clock devices (the 8254 PIT, the PV clock): its
// time is the test's (FakeMachine::now), and it remembers what a device
// marked dirty.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "../support/fake_machine.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::test {

struct ClockedMachine : FakeMachine {
    std::vector<std::pair<uint64_t, uint64_t>> dirty;
    void mark_dirty(uint64_t gpa, uint64_t bytes) override { dirty.emplace_back(gpa, bytes); }
};

// Port I/O through a board, as the dispatcher delivers it (the claim's
// offset), one byte at a time.
struct PortBus {
    vmb::VirtualMotherboard board;
    explicit PortBus(vmb::Device& d) { d.plug_in(board); }
    vmb::Response out(uint16_t port, uint8_t value) {
        const vmb::Claim* c = board.find(vmb::Space::Pio, port);
        return c->device->write(vmb::Space::Pio, c->offset(port), {&value, 1});
    }
    uint8_t in(uint16_t port) {
        const vmb::Claim* c = board.find(vmb::Space::Pio, port);
        uint8_t v = 0;
        c->device->read(vmb::Space::Pio, c->offset(port), {&v, 1});
        return v;
    }
};

}  // namespace ptv::test
