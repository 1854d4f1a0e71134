// A multiboot image made in memory from snippets: the guest sets its stack,
// runs the snippets in order and leaves through the debug-exit port, so that
// one run on the CPU model is one answer (GuestConfig::image).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/vmm/problem/snippet.hpp"

namespace ptv::vmm::problem {

struct GuestImage {
    std::vector<uint8_t> image;       // loaded at 1 MiB
    std::vector<std::string> source;  // the guest's assembly, line by line
};

// `with_instructions` false leaves each snippet's instruction (and reveal)
// out and keeps its setup: the baseline a single instruction is measured
// against.
GuestImage build_guest(const std::vector<const Snippet*>& parts, bool with_instructions = true);

}  // namespace ptv::vmm::problem
