// String instructions with their REP prefixes (SDM vol. 2, MOVS/STOS/LODS/
// CMPS/SCAS/INS/OUTS and REP): source DS:ESI (segment overridable),
// destination ES:EDI, stepping by the element size in the direction of
// EFLAGS.DF. A repeated instruction runs in chunks (see below).
#include "alu.hpp"
#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

namespace {

struct StringOp {
    enum class Kind { Movs, Stos, Lods, Cmps, Scas, Ins, Outs } kind;
    uint8_t size;
};

bool classify(uint16_t m, StringOp& op) {
    using K = StringOp::Kind;
    switch (m) {
        case ZYDIS_MNEMONIC_MOVSB:
            op = {K::Movs, 1};
            return true;
        case ZYDIS_MNEMONIC_MOVSW:
            op = {K::Movs, 2};
            return true;
        case ZYDIS_MNEMONIC_MOVSD:
            op = {K::Movs, 4};
            return true;
        case ZYDIS_MNEMONIC_STOSB:
            op = {K::Stos, 1};
            return true;
        case ZYDIS_MNEMONIC_STOSW:
            op = {K::Stos, 2};
            return true;
        case ZYDIS_MNEMONIC_STOSD:
            op = {K::Stos, 4};
            return true;
        case ZYDIS_MNEMONIC_LODSB:
            op = {K::Lods, 1};
            return true;
        case ZYDIS_MNEMONIC_LODSW:
            op = {K::Lods, 2};
            return true;
        case ZYDIS_MNEMONIC_LODSD:
            op = {K::Lods, 4};
            return true;
        case ZYDIS_MNEMONIC_CMPSB:
            op = {K::Cmps, 1};
            return true;
        case ZYDIS_MNEMONIC_CMPSW:
            op = {K::Cmps, 2};
            return true;
        case ZYDIS_MNEMONIC_CMPSD:
            op = {K::Cmps, 4};
            return true;
        case ZYDIS_MNEMONIC_SCASB:
            op = {K::Scas, 1};
            return true;
        case ZYDIS_MNEMONIC_SCASW:
            op = {K::Scas, 2};
            return true;
        case ZYDIS_MNEMONIC_SCASD:
            op = {K::Scas, 4};
            return true;
        case ZYDIS_MNEMONIC_INSB:
            op = {K::Ins, 1};
            return true;
        case ZYDIS_MNEMONIC_INSW:
            op = {K::Ins, 2};
            return true;
        case ZYDIS_MNEMONIC_INSD:
            op = {K::Ins, 4};
            return true;
        case ZYDIS_MNEMONIC_OUTSB:
            op = {K::Outs, 1};
            return true;
        case ZYDIS_MNEMONIC_OUTSW:
            op = {K::Outs, 2};
            return true;
        case ZYDIS_MNEMONIC_OUTSD:
            op = {K::Outs, 4};
            return true;
        default:
            return false;
    }
}

}  // namespace

bool Cpu::execute_string(const DecodedInstruction& in) {
    StringOp op;
    if (!classify(in.mnemonic, op)) return false;
    // SSE's MOVSD/CMPSD share the mnemonic but have XMM operands.
    for (const Operand& o : in.op)
        if (o.kind == Operand::Kind::Reg && o.reg_class == Operand::RegClass::Other) return false;
    using K = StringOp::Kind;
    if ((op.kind == K::Ins || op.kind == K::Outs) && s_.cpl() > s_.iopl())
        throw CpuFault{vec::GP, true, 0};
    const uint8_t n = op.size;
    const int32_t step = (s_.eflags & flags::DF) ? -int32_t(n) : int32_t(n);
    const uint32_t src_base =
        s_.seg[in.segment_override < 6 ? in.segment_override : uint8_t(DS)].base;
    const uint32_t dst_base = s_.seg[ES].base;
    const bool repeated = in.rep || in.repne;
    // A repeated instruction is interruptible: after a chunk of iterations
    // it stops with EIP still on itself and ECX counting what is left, and
    // the next step resumes it (SDM vol. 2, REP), so the instruction budget
    // also bounds a huge REP count.
    constexpr uint32_t kChunk = 1u << 16;
    uint32_t done = 0;
    for (;;) {
        if (repeated && done++ == kChunk && s_.gpr[ECX] != 0) {
            s_.eip -= in.length;
            break;
        }
        if (repeated && s_.gpr[ECX] == 0) break;
        switch (op.kind) {
            case K::Movs:
                write_linear(dst_base + s_.gpr[EDI], n, read_linear(src_base + s_.gpr[ESI], n));
                s_.gpr[ESI] += step;
                s_.gpr[EDI] += step;
                break;
            case K::Stos:
                write_linear(dst_base + s_.gpr[EDI], n, reg(EAX, n));
                s_.gpr[EDI] += step;
                break;
            case K::Lods:
                set_reg(EAX, n, read_linear(src_base + s_.gpr[ESI], n));
                s_.gpr[ESI] += step;
                break;
            case K::Cmps: {
                const auto r = alu::sub(read_linear(src_base + s_.gpr[ESI], n),
                                        read_linear(dst_base + s_.gpr[EDI], n), 0, n);
                set_flags(r.flags, r.written, 0);
                s_.gpr[ESI] += step;
                s_.gpr[EDI] += step;
                break;
            }
            case K::Scas: {
                const auto r = alu::sub(reg(EAX, n), read_linear(dst_base + s_.gpr[EDI], n), 0, n);
                set_flags(r.flags, r.written, 0);
                s_.gpr[EDI] += step;
                break;
            }
            case K::Ins:
                write_linear(dst_base + s_.gpr[EDI], n,
                             platform_.port_in(*this, uint16_t(s_.gpr[EDX]), n));
                s_.gpr[EDI] += step;
                break;
            case K::Outs:
                platform_.port_out(*this, uint16_t(s_.gpr[EDX]), n,
                                   read_linear(src_base + s_.gpr[ESI], n));
                s_.gpr[ESI] += step;
                break;
        }
        if (!repeated) break;
        --s_.gpr[ECX];
        if (op.kind == K::Cmps || op.kind == K::Scas) {
            const bool zf = s_.eflags & flags::ZF;
            if (in.rep && !zf) break;   // REPE: stop on the first difference
            if (in.repne && zf) break;  // REPNE: stop on the first match
        }
        if (stop_) break;
    }
    return true;
}

}  // namespace ptv::vmm
