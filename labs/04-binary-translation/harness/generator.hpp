// Generated guests for the hidden tests: a multiboot image whose machine
// code the harness assembles itself, from a seed. A loop dispatches through
// a table of handlers (an indirect CALL, then RET: lookups the translator
// must not chain); with `self_modifying`, each handler also rewrites the
// immediate of a MOV in the middle of another handler (a write into code
// that units overlap without starting there). The handlers are spread over
// several 256-byte code lines, with padding between them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::lab::bt {

struct GeneratedGuest {
    std::vector<uint8_t> image;
    std::string description;
};

GeneratedGuest generate_guest(uint64_t seed, bool self_modifying);

}  // namespace ptv::lab::bt
