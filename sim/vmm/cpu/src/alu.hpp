// EFLAGS arithmetic (SDM vol. 1, 3.4.3 and appendix A "EFLAGS cross-
// reference"): each helper computes a result and the flags it defines, and
// names the flags the SDM leaves undefined so comparisons can mask them.
#pragma once

#include <cstdint>

#include "ptv/vmm/state.hpp"

namespace ptv::vmm::alu {

struct Result {
    uint32_t value;
    uint32_t flags;      // the new values of the flags in `written`
    uint32_t written;    // which flags the instruction writes
    uint32_t undefined;  // which of them the SDM calls undefined
};

constexpr uint32_t mask_of(uint8_t size) {
    return size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
}
constexpr uint32_t sign_of(uint8_t size) {
    return 1u << (size * 8 - 1);
}

inline uint32_t parity(uint32_t v) {
    return (__builtin_popcount(v & 0xff) & 1) ? 0 : flags::PF;
}

// ZF, SF, PF of a result.
inline uint32_t szp(uint32_t r, uint8_t size) {
    r &= mask_of(size);
    return (r == 0 ? flags::ZF : 0) | (r & sign_of(size) ? flags::SF : 0) | parity(r);
}

inline Result add(uint32_t a, uint32_t b, uint32_t carry, uint8_t size) {
    const uint32_t m = mask_of(size);
    a &= m, b &= m;
    const uint64_t wide = uint64_t(a) + b + carry;
    const uint32_t r = uint32_t(wide) & m;
    uint32_t f = szp(r, size);
    if (wide > m) f |= flags::CF;
    if ((a ^ r) & (b ^ r) & sign_of(size)) f |= flags::OF;
    if ((a ^ b ^ r) & 0x10) f |= flags::AF;
    return {r, f, flags::Arithmetic, 0};
}

inline Result sub(uint32_t a, uint32_t b, uint32_t borrow, uint8_t size) {
    const uint32_t m = mask_of(size);
    a &= m, b &= m;
    const uint32_t r = (a - b - borrow) & m;
    uint32_t f = szp(r, size);
    if (uint64_t(a) < uint64_t(b) + borrow) f |= flags::CF;
    if ((a ^ b) & (a ^ r) & sign_of(size)) f |= flags::OF;
    if ((a ^ b ^ r) & 0x10) f |= flags::AF;
    return {r, f, flags::Arithmetic, 0};
}

// AND, OR, XOR, TEST: CF = OF = 0, AF undefined.
inline Result logic(uint32_t r, uint8_t size) {
    r &= mask_of(size);
    return {r, szp(r, size), flags::Arithmetic, flags::AF};
}

// INC and DEC leave CF alone.
inline Result inc(uint32_t a, uint8_t size) {
    Result r = add(a, 1, 0, size);
    r.written &= ~flags::CF;
    r.flags &= ~flags::CF;
    return r;
}
inline Result dec(uint32_t a, uint8_t size) {
    Result r = sub(a, 1, 0, size);
    r.written &= ~flags::CF;
    r.flags &= ~flags::CF;
    return r;
}

// Shifts and rotates; `count` already masked to 5 bits and non-zero.
// OF is defined only for a count of 1; AF is undefined for shifts.
Result shift(uint16_t mnemonic, uint32_t a, uint32_t count, uint32_t cf_in, uint8_t size);

}  // namespace ptv::vmm::alu
