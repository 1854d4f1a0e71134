// The architectural state of the modelled x86-32 CPU (Intel SDM vol. 1 ch. 3,
// vol. 3 ch. 2-3): general registers, EIP, EFLAGS, segment registers with
// their hidden descriptor caches, control registers and the descriptor-table
// registers. Plain data: the techniques copy, compare and print it.
#pragma once

#include <array>
#include <cstdint>

namespace ptv::vmm {

// General registers in the encoding order of the ModRM reg field.
enum Gpr : uint8_t { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
// Segment registers in the encoding order of the sreg field.
enum Sreg : uint8_t { ES, CS, SS, DS, FS, GS };

// EFLAGS bits (SDM vol. 1, 3.4.3).
namespace flags {
constexpr uint32_t CF = 1u << 0;
constexpr uint32_t Reserved1 = 1u << 1;  // always 1
constexpr uint32_t PF = 1u << 2;
constexpr uint32_t AF = 1u << 4;
constexpr uint32_t ZF = 1u << 6;
constexpr uint32_t SF = 1u << 7;
constexpr uint32_t TF = 1u << 8;
constexpr uint32_t IF = 1u << 9;
constexpr uint32_t DF = 1u << 10;
constexpr uint32_t OF = 1u << 11;
constexpr uint32_t IOPL = 3u << 12;
constexpr uint32_t NT = 1u << 14;
constexpr uint32_t RF = 1u << 16;
constexpr uint32_t VM = 1u << 17;
constexpr uint32_t AC = 1u << 18;
constexpr uint32_t ID = 1u << 21;
constexpr uint32_t Arithmetic = CF | PF | AF | ZF | SF | OF;
constexpr int IoplShift = 12;
}  // namespace flags

// A segment register: the visible selector and the hidden part loaded from
// the descriptor (SDM vol. 3, 3.4.3).
struct Segment {
    uint16_t selector = 0;
    uint32_t base = 0;
    uint32_t limit = 0;  // in bytes (granularity already applied)
    uint8_t access = 0;  // descriptor byte 5: P, DPL, S, type
    bool db = true;      // default operand size 32
    bool usable = true;
    uint8_t rpl() const { return selector & 3; }
    uint8_t dpl() const { return (access >> 5) & 3; }
};

struct TableRegister {
    uint32_t base = 0;
    uint16_t limit = 0;
};

struct CpuState {
    std::array<uint32_t, 8> gpr{};
    uint32_t eip = 0;
    uint32_t eflags = flags::Reserved1;
    std::array<Segment, 6> seg{};
    Segment tr{}, ldtr{};
    TableRegister gdtr{}, idtr{};
    uint32_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
    // The SYSENTER MSRs (IA32_SYSENTER_CS/ESP/EIP, 0x174-0x176), the only
    // model-specific registers modelled.
    uint32_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;

    // CPL: the RPL of CS in protected mode (SDM vol. 3, 5.5).
    uint8_t cpl() const { return seg[CS].rpl(); }
    uint8_t iopl() const { return (eflags & flags::IOPL) >> flags::IoplShift; }
    bool interrupts_enabled() const { return eflags & flags::IF; }
};

}  // namespace ptv::vmm
