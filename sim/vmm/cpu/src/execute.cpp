// Integer instructions: data movement, arithmetic and logic, shifts, stack,
// control transfer. System instructions are in system.cpp, string
// instructions in strings.cpp; anything else is an "unsupported
// instruction" outcome, never a crash.
#include <fmt/format.h>

#include <array>

#include "alu.hpp"
#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

namespace {

// Condition codes in the order of the opcode's low nibble (SDM vol. 1, B.1).
constexpr int kNoCondition = -1;
std::array<int8_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> make_cc_table() {
    std::array<int8_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> t;
    t.fill(kNoCondition);
    const ZydisMnemonic j[16] = {
        ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
        ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
        ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
        ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
    const ZydisMnemonic s[16] = {
        ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
        ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
        ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
        ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
    const ZydisMnemonic c[16] = {
        ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
        ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
        ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
        ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
    for (int i = 0; i < 16; ++i) t[j[i]] = t[s[i]] = t[c[i]] = int8_t(i);
    return t;
}
const auto kCc = make_cc_table();

enum class CcUse { Jump, Set, Move };
CcUse cc_use(uint16_t m) {
    if (m >= ZYDIS_MNEMONIC_SETB && m <= ZYDIS_MNEMONIC_SETZ) return CcUse::Set;
    if (m >= ZYDIS_MNEMONIC_CMOVB && m <= ZYDIS_MNEMONIC_CMOVZ) return CcUse::Move;
    return CcUse::Jump;
}

uint32_t sign_extend(uint32_t v, uint8_t size) {
    return size == 1 ? uint32_t(int32_t(int8_t(v))) : size == 2 ? uint32_t(int32_t(int16_t(v))) : v;
}

}  // namespace

namespace alu {

Result shift(uint16_t m, uint32_t a, uint32_t count, uint32_t cf_in, uint8_t size) {
    const uint32_t mask = mask_of(size), sign = sign_of(size), bits = size * 8u;
    a &= mask;
    uint32_t r = 0, cf = 0, of = 0;
    const uint32_t of_undef = count == 1 ? 0 : flags::OF;
    // SHL/SHR: CF is undefined for counts of the operand size or more (8-
    // and 16-bit operands; SDM vol. 2, SAL/SAR/SHL/SHR, "Flags Affected").
    const uint32_t cf_undef = count >= bits ? flags::CF : 0;
    switch (m) {
        case ZYDIS_MNEMONIC_SHL:
            r = count >= 32 ? 0 : (a << count) & mask;
            cf = count <= bits ? (uint64_t(a) << count >> bits) & 1 : 0;
            of = ((r & sign) ? 1 : 0) ^ cf;
            return {r, szp(r, size) | (cf ? flags::CF : 0) | (of ? flags::OF : 0),
                    flags::Arithmetic, flags::AF | of_undef | cf_undef};
        case ZYDIS_MNEMONIC_SHR:
            r = count >= 32 ? 0 : a >> count;
            cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
            of = (a & sign) ? 1 : 0;
            return {r, szp(r, size) | (cf ? flags::CF : 0) | (of ? flags::OF : 0),
                    flags::Arithmetic, flags::AF | of_undef | cf_undef};
        case ZYDIS_MNEMONIC_SAR: {
            const int32_t sa = int32_t(sign_extend(a, size));
            const uint32_t c = count >= bits ? bits - 1 : count;
            r = uint32_t(sa >> c) & mask;
            cf = uint32_t(sa >> (c - (count >= bits ? 0 : 1))) & 1;
            if (count >= bits) cf = (a & sign) ? 1 : 0;
            return {r, szp(r, size) | (cf ? flags::CF : 0), flags::Arithmetic,
                    flags::AF | of_undef};
        }
        case ZYDIS_MNEMONIC_ROL: {
            const uint32_t c = count % bits;
            r = c ? ((a << c) | (a >> (bits - c))) & mask : a;
            cf = r & 1;
            of = ((r & sign) ? 1 : 0) ^ cf;
            return {r, (cf ? flags::CF : 0) | (of ? flags::OF : 0), flags::CF | flags::OF,
                    of_undef};
        }
        case ZYDIS_MNEMONIC_ROR: {
            const uint32_t c = count % bits;
            r = c ? ((a >> c) | (a << (bits - c))) & mask : a;
            cf = (r & sign) ? 1 : 0;
            of = cf ^ ((r & (sign >> 1)) ? 1 : 0);
            return {r, (cf ? flags::CF : 0) | (of ? flags::OF : 0), flags::CF | flags::OF,
                    of_undef};
        }
        case ZYDIS_MNEMONIC_RCL:
        case ZYDIS_MNEMONIC_RCR: {
            // Rotate through carry: a (bits + 1)-bit rotation.
            const uint32_t c = count % (bits + 1);
            uint64_t v = uint64_t(a) | uint64_t(cf_in) << bits;
            const uint64_t all = (uint64_t(1) << (bits + 1)) - 1;
            if (c) {
                const uint32_t left = m == ZYDIS_MNEMONIC_RCL ? c : bits + 1 - c;
                v = ((v << left) | (v >> (bits + 1 - left))) & all;
            }
            r = uint32_t(v) & mask;
            cf = uint32_t(v >> bits) & 1;
            of = m == ZYDIS_MNEMONIC_RCL ? (((r & sign) ? 1 : 0) ^ cf)
                                         : (((r & sign) ? 1 : 0) ^ ((r & (sign >> 1)) ? 1 : 0));
            return {r, (cf ? flags::CF : 0) | (of ? flags::OF : 0), flags::CF | flags::OF,
                    of_undef};
        }
        default:
            throw CpuFault{vec::UD};
    }
}

}  // namespace alu

void Cpu::set_flags(uint32_t value, uint32_t mask, uint32_t undefined) {
    s_.eflags = (s_.eflags & ~mask) | (value & mask);
    undefined_ = (undefined_ & ~mask) | (undefined & mask);
}

bool Cpu::condition(uint8_t cc) const {
    const uint32_t f = s_.eflags;
    const bool cf = f & flags::CF, zf = f & flags::ZF, sf = f & flags::SF, of = f & flags::OF,
               pf = f & flags::PF;
    bool r = false;
    switch (cc >> 1) {
        case 0:
            r = of;
            break;
        case 1:
            r = cf;
            break;
        case 2:
            r = zf;
            break;
        case 3:
            r = cf || zf;
            break;
        case 4:
            r = sf;
            break;
        case 5:
            r = pf;
            break;
        case 6:
            r = sf != of;
            break;
        case 7:
            r = zf || sf != of;
            break;
    }
    return (cc & 1) ? !r : r;
}

void Cpu::execute(const DecodedInstruction& in) {
    const uint32_t next = s_.eip + in.length;
    s_.eip = next;
    const Operand& a = in.op[0];
    const Operand& b = in.op[1];
    const uint8_t size = a.size ? a.size : in.operand_size;
    auto apply = [&](const alu::Result& r, bool store) {
        if (store) write_operand(in, a, r.value);
        set_flags(r.flags, r.written, r.undefined);
    };
    const int cc = kCc[in.mnemonic];
    if (cc != kNoCondition) {
        switch (cc_use(in.mnemonic)) {
            case CcUse::Jump:
                if (condition(uint8_t(cc))) s_.eip = next + a.imm;
                return;
            case CcUse::Set:
                write_operand(in, a, condition(uint8_t(cc)) ? 1 : 0);
                return;
            case CcUse::Move: {
                const uint32_t v = read_operand(in, b);  // reads even when false
                if (condition(uint8_t(cc))) write_operand(in, a, v);
                return;
            }
        }
    }

    switch (in.mnemonic) {
        case ZYDIS_MNEMONIC_NOP:
        case ZYDIS_MNEMONIC_PAUSE:
            return;
        case ZYDIS_MNEMONIC_MOV:
            if (in.privileged) break;  // MOV to/from CRn: system.cpp
            write_operand(in, a, read_operand(in, b));
            return;
        case ZYDIS_MNEMONIC_MOVZX:
            write_operand(in, a, read_operand(in, b));
            return;
        case ZYDIS_MNEMONIC_MOVSX:
            write_operand(in, a, sign_extend(read_operand(in, b), b.size));
            return;
        case ZYDIS_MNEMONIC_LEA:
            write_operand(in, a, effective_address(b));
            return;
        case ZYDIS_MNEMONIC_XCHG: {
            const uint32_t x = read_operand(in, a), y = read_operand(in, b);
            write_operand(in, a, y);
            write_operand(in, b, x);
            return;
        }
        case ZYDIS_MNEMONIC_XADD: {
            const uint32_t x = read_operand(in, a), y = read_operand(in, b);
            const alu::Result r = alu::add(x, y, 0, size);
            if (a.kind == Operand::Kind::Mem) {
                // The memory destination first: the source register may be
                // its base or index (`xadd [esi+ecx], ecx`), and the address
                // is the one computed before the register changed.
                apply(r, true);
                write_operand(in, b, x);
            } else {
                write_operand(in, b, x);  // then DEST <- sum: `xadd eax, eax` sums
                apply(r, true);
            }
            return;
        }
        case ZYDIS_MNEMONIC_BSWAP:
            write_operand(in, a, __builtin_bswap32(read_operand(in, a)));
            return;
        case ZYDIS_MNEMONIC_ADD:
            apply(alu::add(read_operand(in, a), read_operand(in, b), 0, size), true);
            return;
        case ZYDIS_MNEMONIC_ADC:
            apply(alu::add(read_operand(in, a), read_operand(in, b), s_.eflags & flags::CF, size),
                  true);
            return;
        case ZYDIS_MNEMONIC_SUB:
            apply(alu::sub(read_operand(in, a), read_operand(in, b), 0, size), true);
            return;
        case ZYDIS_MNEMONIC_SBB:
            apply(alu::sub(read_operand(in, a), read_operand(in, b), s_.eflags & flags::CF, size),
                  true);
            return;
        case ZYDIS_MNEMONIC_CMP:
            apply(alu::sub(read_operand(in, a), read_operand(in, b), 0, size), false);
            return;
        case ZYDIS_MNEMONIC_AND:
            apply(alu::logic(read_operand(in, a) & read_operand(in, b), size), true);
            return;
        case ZYDIS_MNEMONIC_OR:
            apply(alu::logic(read_operand(in, a) | read_operand(in, b), size), true);
            return;
        case ZYDIS_MNEMONIC_XOR:
            apply(alu::logic(read_operand(in, a) ^ read_operand(in, b), size), true);
            return;
        case ZYDIS_MNEMONIC_TEST:
            apply(alu::logic(read_operand(in, a) & read_operand(in, b), size), false);
            return;
        case ZYDIS_MNEMONIC_INC:
            apply(alu::inc(read_operand(in, a), size), true);
            return;
        case ZYDIS_MNEMONIC_DEC:
            apply(alu::dec(read_operand(in, a), size), true);
            return;
        case ZYDIS_MNEMONIC_NEG:
            apply(alu::sub(0, read_operand(in, a), 0, size), true);
            return;
        case ZYDIS_MNEMONIC_NOT:
            write_operand(in, a, ~read_operand(in, a));
            return;

        case ZYDIS_MNEMONIC_MUL:
        case ZYDIS_MNEMONIC_IMUL: {
            const bool is_signed = in.mnemonic == ZYDIS_MNEMONIC_IMUL;
            if (in.operand_count >= 2) {
                // IMUL r, r/m (, imm): truncated product; CF = OF = "did not fit".
                const uint32_t x =
                    in.operand_count == 3 ? read_operand(in, b) : read_operand(in, a);
                const uint32_t y =
                    in.operand_count == 3 ? read_operand(in, in.op[2]) : read_operand(in, b);
                const int64_t p =
                    int64_t(int32_t(sign_extend(x, size))) * int64_t(int32_t(sign_extend(y, size)));
                const uint32_t r = uint32_t(p) & alu::mask_of(size);
                const bool fits = int64_t(int32_t(sign_extend(r, size))) == p;
                write_operand(in, a, r);
                set_flags(alu::szp(r, size) | (fits ? 0 : flags::CF | flags::OF), flags::Arithmetic,
                          flags::SF | flags::ZF | flags::AF | flags::PF);
                return;
            }
            // One operand: EDX:EAX (DX:AX, AX) = accumulator * r/m.
            const uint32_t src = read_operand(in, a);
            const uint32_t acc = reg(EAX, size);
            uint64_t lo, hi;
            bool overflow;
            if (is_signed) {
                const int64_t p = int64_t(int32_t(sign_extend(acc, size))) *
                                  int64_t(int32_t(sign_extend(src, size)));
                lo = uint64_t(p) & alu::mask_of(size);
                hi = (uint64_t(p) >> (size * 8)) & alu::mask_of(size);
                overflow = int64_t(int32_t(sign_extend(uint32_t(lo), size))) != p;
            } else {
                const uint64_t p = uint64_t(acc) * src;
                lo = p & alu::mask_of(size);
                hi = (p >> (size * 8)) & alu::mask_of(size);
                overflow = hi != 0;
            }
            if (size == 1) {
                set_reg(EAX, 2, uint32_t(hi << 8 | lo));
            } else {
                set_reg(EAX, size, uint32_t(lo));
                set_reg(EDX, size, uint32_t(hi));
            }
            set_flags(alu::szp(uint32_t(lo), size) | (overflow ? flags::CF | flags::OF : 0),
                      flags::Arithmetic, flags::SF | flags::ZF | flags::AF | flags::PF);
            return;
        }
        case ZYDIS_MNEMONIC_DIV:
        case ZYDIS_MNEMONIC_IDIV: {
            const uint32_t divisor = read_operand(in, a);
            if ((divisor & alu::mask_of(size)) == 0) throw CpuFault{vec::DE};
            const unsigned bits = size * 8;
            const uint64_t dividend =
                size == 1 ? reg(EAX, 2) : (uint64_t(reg(EDX, size)) << bits) | reg(EAX, size);
            uint64_t q, r;
            if (in.mnemonic == ZYDIS_MNEMONIC_DIV) {
                q = dividend / divisor;
                r = dividend % divisor;
                if (q > alu::mask_of(size)) throw CpuFault{vec::DE};
            } else {
                const int64_t n = bits == 32
                                      ? int64_t(dividend)
                                      : (int64_t(dividend << (64 - 2 * bits)) >> (64 - 2 * bits));
                const int64_t d = int32_t(sign_extend(divisor, size));
                if (d == -1 && n == INT64_MIN) throw CpuFault{vec::DE};
                const int64_t sq = n / d, sr = n % d;
                const int64_t lim = int64_t(1) << (bits - 1);
                if (sq >= lim || sq < -lim) throw CpuFault{vec::DE};
                q = uint64_t(sq) & alu::mask_of(size);
                r = uint64_t(sr) & alu::mask_of(size);
            }
            if (size == 1) {
                set_reg(EAX, 2, uint32_t(r << 8 | q));
            } else {
                set_reg(EAX, size, uint32_t(q));
                set_reg(EDX, size, uint32_t(r));
            }
            undefined_ |= flags::Arithmetic;  // all six undefined; values kept
            return;
        }
        case ZYDIS_MNEMONIC_SHL:
        case ZYDIS_MNEMONIC_SHR:
        case ZYDIS_MNEMONIC_SAR:
        case ZYDIS_MNEMONIC_ROL:
        case ZYDIS_MNEMONIC_ROR:
        case ZYDIS_MNEMONIC_RCL:
        case ZYDIS_MNEMONIC_RCR: {
            const uint32_t count = read_operand(in, b) & 0x1f;
            if (count == 0) return;  // no flags change
            apply(alu::shift(in.mnemonic, read_operand(in, a), count, s_.eflags & flags::CF ? 1 : 0,
                             size),
                  true);
            return;
        }
        case ZYDIS_MNEMONIC_SHLD:
        case ZYDIS_MNEMONIC_SHRD: {
            const uint32_t count = read_operand(in, in.op[2]) & 0x1f;
            if (count == 0) return;
            // 32- and 16-bit operands: DEST:SRC shifted
            // as one value. A 16-bit count above 16 leaves result and flags
            // undefined (SDM); Intel processors, and QEMU, then shift
            // DEST:SRC:DEST, and so does this.
            const uint32_t m = alu::mask_of(size), bits = size * 8u;
            const uint64_t dst = read_operand(in, a) & m, src = read_operand(in, b) & m;
            const bool left = in.mnemonic == ZYDIS_MNEMONIC_SHLD;
            uint64_t wide, r, cf;
            if (size == 2) {
                wide = dst << 32 | src << 16 | dst;
                r = left ? (wide << count) >> 32 : wide >> count;
                cf = left ? (wide >> (48 - count)) & 1 : (wide >> (count - 1)) & 1;
            } else {
                wide = left ? dst << 32 | src : src << 32 | dst;
                r = left ? (wide << count) >> 32 : wide >> count;
                cf = left ? (dst >> (32 - count)) & 1 : (dst >> (count - 1)) & 1;
            }
            const uint32_t result = uint32_t(r) & m;
            const uint32_t of = ((result ^ dst) & alu::sign_of(size)) ? flags::OF : 0;
            write_operand(in, a, result);
            set_flags(
                alu::szp(result, size) | (cf ? flags::CF : 0) | of, flags::Arithmetic,
                flags::AF | (count == 1 ? 0 : flags::OF) | (count > bits ? flags::Arithmetic : 0));
            return;
        }
        case ZYDIS_MNEMONIC_BSF:
        case ZYDIS_MNEMONIC_BSR: {
            const uint32_t v = read_operand(in, b) & alu::mask_of(size);
            if (v == 0) {
                set_flags(flags::ZF, flags::Arithmetic, flags::Arithmetic & ~flags::ZF);
                return;  // destination unchanged (as Intel and AMD processors do)
            }
            write_operand(
                in, a,
                in.mnemonic == ZYDIS_MNEMONIC_BSF ? __builtin_ctz(v) : 31 - __builtin_clz(v));
            set_flags(0, flags::Arithmetic, flags::Arithmetic & ~flags::ZF);
            return;
        }
        case ZYDIS_MNEMONIC_BT:
        case ZYDIS_MNEMONIC_BTS:
        case ZYDIS_MNEMONIC_BTR:
        case ZYDIS_MNEMONIC_BTC: {
            uint32_t bit = read_operand(in, b);
            Operand target = a;
            if (a.kind == Operand::Kind::Mem && b.kind == Operand::Kind::Reg) {
                // A register bit offset reaches outside the addressed word or
                // dword: it is signed and counts in units of the operand size
                // (a 16-bit offset of 20 is bit 4 of the next word).
                const int32_t offset = int32_t(sign_extend(bit, size));
                target.disp = a.disp + (offset >> (size == 2 ? 4 : 5)) * size;
            }
            bit &= size * 8 - 1;
            const uint32_t v = read_operand(in, target);
            const bool set = (v >> bit) & 1;
            uint32_t nv = v;
            if (in.mnemonic == ZYDIS_MNEMONIC_BTS) nv |= 1u << bit;
            if (in.mnemonic == ZYDIS_MNEMONIC_BTR) nv &= ~(1u << bit);
            if (in.mnemonic == ZYDIS_MNEMONIC_BTC) nv ^= 1u << bit;
            if (in.mnemonic != ZYDIS_MNEMONIC_BT) write_operand(in, target, nv);
            set_flags(set ? flags::CF : 0,
                      flags::CF | flags::OF | flags::SF | flags::AF | flags::PF,
                      flags::OF | flags::SF | flags::AF | flags::PF);
            return;
        }
        case ZYDIS_MNEMONIC_CDQ:
            s_.gpr[EDX] = (s_.gpr[EAX] & 0x80000000u) ? 0xffffffffu : 0;
            return;
        case ZYDIS_MNEMONIC_CWD:
            set_reg(EDX, 2, (s_.gpr[EAX] & 0x8000) ? 0xffff : 0);
            return;
        case ZYDIS_MNEMONIC_CWDE:
            s_.gpr[EAX] = sign_extend(s_.gpr[EAX], 2);
            return;
        case ZYDIS_MNEMONIC_CBW:
            set_reg(EAX, 2, sign_extend(s_.gpr[EAX], 1));
            return;
        case ZYDIS_MNEMONIC_LAHF:
            s_.gpr[EAX] = (s_.gpr[EAX] & 0xffff00ffu) | ((s_.eflags & 0xd5) | 2) << 8;
            return;
        case ZYDIS_MNEMONIC_SAHF:
            set_flags((s_.gpr[EAX] >> 8) & 0xd5,
                      flags::CF | flags::PF | flags::AF | flags::ZF | flags::SF, 0);
            return;
        case ZYDIS_MNEMONIC_CLC:
            set_flags(0, flags::CF, 0);
            return;
        case ZYDIS_MNEMONIC_STC:
            set_flags(flags::CF, flags::CF, 0);
            return;
        case ZYDIS_MNEMONIC_CMC:
            set_flags(s_.eflags ^ flags::CF, flags::CF, 0);
            return;
        case ZYDIS_MNEMONIC_CLD:
            s_.eflags &= ~flags::DF;
            return;
        case ZYDIS_MNEMONIC_STD:
            s_.eflags |= flags::DF;
            return;

        case ZYDIS_MNEMONIC_PUSH:
            if (a.kind == Operand::Kind::Reg && a.reg_class == Operand::RegClass::Sreg) {
                // Recent processors write only the 16-bit selector into a
                // 32-bit slot (SDM vol. 2, PUSH).
                const uint32_t esp = s_.gpr[ESP] - in.operand_size;
                write_linear(s_.seg[SS].base + esp, 2, s_.seg[a.reg].selector);
                s_.gpr[ESP] = esp;
                return;
            }
            push(a.kind == Operand::Kind::Imm ? sign_extend(a.imm, a.size) : read_operand(in, a),
                 in.operand_size);
            return;
        case ZYDIS_MNEMONIC_POP: {
            const uint32_t v = pop(in.operand_size);
            write_operand(in, a, v);
            return;
        }
        case ZYDIS_MNEMONIC_PUSHAD: {
            const uint32_t esp = s_.gpr[ESP];
            for (int r = EAX; r <= EDI; ++r) push(r == ESP ? esp : s_.gpr[r]);
            return;
        }
        case ZYDIS_MNEMONIC_POPAD:
            for (int r = EDI; r >= EAX; --r) {
                const uint32_t v = pop();
                if (r != ESP) s_.gpr[r] = v;
            }
            return;
        case ZYDIS_MNEMONIC_LEAVE:
            s_.gpr[ESP] = s_.gpr[EBP];
            s_.gpr[EBP] = pop(in.operand_size);
            return;

        case ZYDIS_MNEMONIC_JMP:
            if (a.kind == Operand::Kind::Imm) {
                s_.eip = next + a.imm;
            } else if (a.kind == Operand::Kind::Ptr) {
                far_transfer(a.ptr_segment, a.imm, false, in.operand_size);
            } else if (a.kind == Operand::Kind::Mem && a.size == 6) {
                const uint32_t at = linear_address(a);
                far_transfer(uint16_t(read_linear(at + 4, 2)), read_linear(at, 4), false, 4);
            } else {
                s_.eip = read_operand(in, a);
            }
            return;
        case ZYDIS_MNEMONIC_CALL:
            if (a.kind == Operand::Kind::Ptr) {
                s_.eip = next;
                far_transfer(a.ptr_segment, a.imm, true, in.operand_size);
                return;
            } else if (a.kind == Operand::Kind::Mem && a.size == 6) {
                const uint32_t at = linear_address(a);
                const uint32_t off = read_linear(at, 4);
                const uint16_t sel = uint16_t(read_linear(at + 4, 2));
                far_transfer(sel, off, true, 4);
                return;
            } else {
                const uint32_t target =
                    a.kind == Operand::Kind::Imm ? next + a.imm : read_operand(in, a);
                push(next);
                s_.eip = target;
            }
            return;
        case ZYDIS_MNEMONIC_RET: {
            if (in.far) {
                far_return(
                    in.operand_size,
                    uint16_t(in.operand_count >= 1 && a.kind == Operand::Kind::Imm ? a.imm : 0));
                return;
            }
            const uint32_t target = pop();
            if (in.operand_count >= 1 && a.kind == Operand::Kind::Imm)
                s_.gpr[ESP] += a.imm & 0xffff;
            s_.eip = target;
            return;
        }
        case ZYDIS_MNEMONIC_JECXZ:
            if (s_.gpr[ECX] == 0) s_.eip = next + a.imm;
            return;
        case ZYDIS_MNEMONIC_JCXZ:
            if ((s_.gpr[ECX] & 0xffff) == 0) s_.eip = next + a.imm;
            return;
        case ZYDIS_MNEMONIC_LOOP:
        case ZYDIS_MNEMONIC_LOOPE:
        case ZYDIS_MNEMONIC_LOOPNE: {
            const uint32_t ecx = --s_.gpr[ECX];
            bool go = ecx != 0;
            if (in.mnemonic == ZYDIS_MNEMONIC_LOOPE) go = go && (s_.eflags & flags::ZF);
            if (in.mnemonic == ZYDIS_MNEMONIC_LOOPNE) go = go && !(s_.eflags & flags::ZF);
            if (go) s_.eip = next + a.imm;
            return;
        }
        case ZYDIS_MNEMONIC_UD0:
        case ZYDIS_MNEMONIC_UD1:
        case ZYDIS_MNEMONIC_UD2:
            throw CpuFault{vec::UD};
        default:
            break;
    }
    if (execute_system(in)) return;
    if (execute_string(in)) return;
    s_.eip = next - in.length;
    stop_ = Stop{Outcome::UnsupportedInstruction, s_.eip,
                 "unsupported instruction " + describe(s_.eip)};
}

}  // namespace ptv::vmm
