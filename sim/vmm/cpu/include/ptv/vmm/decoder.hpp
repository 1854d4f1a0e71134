// Decoding guest code with Zydis into DecodedInstruction, and a decode cache in
// front of it: the interpreter asks for the instruction at an address, and
// the cache answers without decoding again until the guest writes into the
// bytes it came from (self-modifying code must see its new bytes).
#pragma once

#include <Zydis/Zydis.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ptv/vmm/decoded_instruction.hpp"

namespace ptv::vmm {

class Decoder {
  public:
    Decoder();
    // Decodes the instruction at the start of `code`; nullopt if the bytes
    // are not a valid 32-bit instruction.
    std::optional<DecodedInstruction> decode(std::span<const uint8_t> code) const;
    // Intel syntax, for messages, traces and listings.
    std::string disassemble(std::span<const uint8_t> code, uint32_t address) const;

  private:
    ZydisDecoder decoder_;
    ZydisFormatter formatter_;
};

// Decoded instructions keyed by guest-physical address, invalidated by
// writes. RAM is cut into 256-byte lines; a line that holds decoded code is
// marked, and a write into a marked line bumps its generation, which every
// cached instruction from that line checks.
class DecodeCache {
  public:
    explicit DecodeCache(size_t ram_bytes);

    // The cached instruction at `address`, or nullptr.
    const DecodedInstruction* find(uint32_t address) const {
        const Entry& e = entries_[slot(address)];
        if (e.address != address || !e.valid) return nullptr;
        if (e.gen_first != gen_[address >> kLineShift]) return nullptr;
        if (e.gen_last != gen_[(address + e.insn.length - 1) >> kLineShift]) return nullptr;
        return &e.insn;
    }
    const DecodedInstruction* insert(uint32_t address, const DecodedInstruction& insn);

    // Called on every guest write into RAM: cheap unless the line holds code.
    void on_write(uint32_t address, uint32_t size) {
        const uint32_t first = address >> kLineShift, last = (address + size - 1) >> kLineShift;
        for (uint32_t l = first; l <= last && l < code_.size(); ++l)
            if (code_[l]) {
                code_[l] &= kWatched;
                ++gen_[l];
                ++invalidations_;
                written_first_ = std::min(written_first_, address);
                written_last_ = std::max(written_last_, address + size - 1);
            }
    }
    uint64_t invalidations() const { return invalidations_; }
    // A translator that invalidates its units itself, by the bytes written
    // (rather than by line generations), watches the lines its units came
    // from: a write into them counts as a write into code for as long as
    // the translation exists, not only until the next decode.
    void watch(uint32_t first, uint32_t last) {
        for (uint32_t l = first >> kLineShift; l <= last >> kLineShift && l < code_.size(); ++l)
            code_[l] |= kWatched;
    }
    // The bytes written into code lines since the last call, as one range
    // [first, last] (nullopt: none).
    std::optional<std::pair<uint32_t, uint32_t>> take_written() {
        if (written_first_ > written_last_) return std::nullopt;
        const std::pair<uint32_t, uint32_t> r{written_first_, written_last_};
        written_first_ = ~0u, written_last_ = 0;
        return r;
    }
    // The write generation of the line holding `address`: a translation of
    // code there is stale once it changes (binary translation checks it).
    uint32_t generation(uint32_t address) const {
        const uint32_t l = address >> kLineShift;
        return l < gen_.size() ? gen_[l] : 0;
    }
    static constexpr uint32_t line_of(uint32_t address) { return address >> kLineShift; }

  private:
    static constexpr int kLineShift = 8;
    static constexpr size_t kSlots = 1u << 16;
    struct Entry {
        uint32_t address = 0;
        bool valid = false;
        uint32_t gen_first = 0, gen_last = 0;
        DecodedInstruction insn;
    };
    static size_t slot(uint32_t address) { return (address ^ (address >> 16)) & (kSlots - 1); }

    std::vector<Entry> entries_;
    // Per line: kDecoded (cached instructions from it are current) and
    // kWatched (a translation holds code from it).
    static constexpr uint8_t kDecoded = 1, kWatched = 2;
    std::vector<uint8_t> code_;
    std::vector<uint32_t> gen_;
    uint64_t invalidations_ = 0;
    uint32_t written_first_ = ~0u, written_last_ = 0;
};

}  // namespace ptv::vmm
