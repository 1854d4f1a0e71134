// A machine for device and dispatcher tests: RAM in a vector, console
// output in a string, stop requests remembered.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ptv/vmb/machine.hpp"

namespace ptv::test {

struct FakeMachine : vmb::Machine {
    explicit FakeMachine(size_t ram_bytes = 1 << 20) : memory(ram_bytes) {}
    std::span<uint8_t> ram() override { return memory; }
    void console_write(std::string_view b) override { console.append(b); }
    void request_stop(vmb::StopRequest r) override { stop = std::move(r); }

    std::vector<uint8_t> memory;
    std::string console;
    std::optional<vmb::StopRequest> stop;
};

}  // namespace ptv::test
