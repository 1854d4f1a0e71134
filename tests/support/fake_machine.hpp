// A machine for device and dispatcher tests: RAM in a vector, console
// output in a string, completions remembered, and a time that stands still
// unless the test moves it (so the clock devices' state is the test's).
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
    void complete(const vmb::Completion& c) override { completions.push_back(c); }
    uint64_t now_ns() const override { return now; }

    std::vector<uint8_t> memory;
    std::string console;
    std::vector<vmb::Completion> completions;
    uint64_t now = 0;
};

}  // namespace ptv::test
