// The guest's state where a run stopped, in the one form both substrates
// report (`final_state` in --json): the general registers, EIP (KVM's RIP:
// after a HLT, after a completed OUT), EFLAGS, the segment selectors and CR0
// as 32-bit integers, and one hash over the whole of guest RAM
// (memory_hash.hpp), so "the same final state as KVM" is one comparison.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "ptv/common/memory_hash.hpp"

namespace ptv {

struct GuestFinalState {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0, esi = 0, edi = 0, ebp = 0, esp = 0;
    uint32_t eip = 0, eflags = 0;
    uint16_t cs = 0, ss = 0, ds = 0, es = 0, fs = 0, gs = 0;
    uint32_t cr0 = 0;
    uint64_t memory_hash = 0, memory_bytes = 0;

    nlohmann::json to_json() const {
        return {{"eax", eax},
                {"ebx", ebx},
                {"ecx", ecx},
                {"edx", edx},
                {"esi", esi},
                {"edi", edi},
                {"ebp", ebp},
                {"esp", esp},
                {"eip", eip},
                {"eflags", eflags},
                {"cs", cs},
                {"ss", ss},
                {"ds", ds},
                {"es", es},
                {"fs", fs},
                {"gs", gs},
                {"cr0", cr0},
                {"memory_hash", memory_hash_text(memory_hash)},
                {"memory_bytes", memory_bytes}};
    }
};

}  // namespace ptv
