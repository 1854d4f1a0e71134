// Fig. 3-18 (Tanenbaum & van Steen, ch. 3.5, after Fuggetta et al. 1998):
// the kinds of code mobility. A process is a code segment, a resource
// segment and an execution segment (its stack, registers, program counter);
// the kinds differ in which of them travel.
// - Weak mobility: the code segment (with initial data) moves and starts
//   from the beginning: `ptv migrate ship` sends a guest image that boots
//   afresh on the other host.
// - Strong mobility: the execution segment moves too and the process goes
//   on where it was: `ptv migrate live` carries memory and CPU state. Either
//   the original stops (migration) or runs on (cloning).
// Either kind is sender- or receiver-initiated.
#pragma once

#include <variant>

namespace ptv::migration::sim {

// Which segments of the process travel.
struct Segments {
    bool code = false;
    bool execution_state = false;
};

struct WeakMobility {
    static constexpr Segments moves{.code = true, .execution_state = false};
    static constexpr const char* name = "weak";
};

struct StrongMobility {
    static constexpr Segments moves{.code = true, .execution_state = true};
    static constexpr const char* name = "strong";
    bool cloning = false;  // the original runs on (cloning) or stops (migration)
};

using Mobility = std::variant<WeakMobility, StrongMobility>;

// "weak" or "strong".
const char* to_string(const Mobility& m);
// What travels: the segments of m.
Segments moves(const Mobility& m);

enum class Initiative { Sender, Receiver };
const char* to_string(Initiative i);  // "sender", "receiver"

}  // namespace ptv::migration::sim
