// A key script: key presses at given times of the machine's clock, for a
// run that must be the same every time (a test, a demo on the CPU model).
// The form is items separated by spaces or commas, each TIME:KEY, e.g.
// "500ms:space 1.2s:left 3s:esc": TIME a decimal number with a unit (ns,
// us, ms or s), KEY a key's name (scancodes.hpp: a-z, 0-9, space, enter,
// esc, backspace, tab, up, down, left, right).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ptv/devices/scancodes.hpp"

namespace ptv::devices {

struct ScheduledKey {
    uint64_t at_ns;  // the machine's time (vmb::Machine::now_ns())
    Key key;
    bool operator==(const ScheduledKey&) const = default;
};

// The presses, in time order (items of equal time in script order).
// Throws ptv::UsageError naming the first bad item and the expected form.
std::vector<ScheduledKey> parse_key_script(std::string_view script);

}  // namespace ptv::devices
