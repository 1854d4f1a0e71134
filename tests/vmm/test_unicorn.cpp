// Differential tests of the CPU model against Unicorn (QEMU's TCG as a
// library): random sequences of instructions from the model's integer
// subset run on both from the same registers and memory, and must end in
// the same general registers, EIP, data and stack memory, and EFLAGS (the
// bits the SDM defines: the model names the undefined ones).
//
// The machine code is generated here, by a small encoder for the forms we
// draw (no assembler needed at test time). Each sequence is a list of
// groups: one instruction under test, preceded by the `mov`s that make it
// safe (memory operands point into the data area, divisors are non-zero
// and quotients fit, shift counts in CL are known). Jumps go forward, over
// whole groups, so every address runs at most once.
//
// Undefined flags: an instruction that reads a flag the SDM left undefined
// (after `and`, AF; after `mul`, ZF...) would make both results legitimately
// differ. The generator puts a flag-defining `cmp`/`add`/`sub` before such a
// reader; and, as a safety net, the comparison stops early at the first
// instruction that reads a flag the model says is undefined (rare, counted).
//
// PTV_UNICORN_SEED=N reruns the single sequence N and prints its listing;
// PTV_UNICORN_SEQUENCES=N runs N sequences per test case (a longer soak).
#include <Zydis/Zydis.h>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ptv/common/rng.hpp"
#include "ptv/vmm/cpu.hpp"

using namespace ptv::vmm;
using ptv::Outcome;

namespace {

// ------------------------------------------------------------ the machine --

constexpr uint32_t kRamBytes = 0x10000;
constexpr uint32_t kCode = 0x1000, kCodeEnd = 0x7000;
constexpr uint32_t kData = 0x8000, kDataBytes = 0x400;
constexpr uint32_t kStackLow = 0x9000, kStackHigh = 0xa000, kStackStart = 0x9800;
constexpr uint8_t kHlt = 0xf4;
constexpr uint32_t kArith = flags::Arithmetic;

// The draws of the random programs, over SplitMix64 (common/rng.hpp): the
// same numbers on every platform.
class Rng {
  public:
    explicit Rng(uint64_t seed) : g_(seed) {}
    uint32_t below(uint32_t n) { return uint32_t(g_.below(n)); }
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
    bool chance(uint32_t percent) { return below(100) < percent; }
    uint32_t u32() { return uint32_t(g_.next()); }
    // A value with the edges arithmetic gets wrong: 0, ±1, the signs, the
    // size boundaries; otherwise random, small or large.
    uint32_t interesting() {
        static constexpr uint32_t edges[] = {
            0,      1,      0xffffffff, 0x80000000, 0x7fffffff, 0x80,       0x7f, 0xff,
            0x8000, 0x7fff, 0xffff,     0x100,      0xffffff80, 0xffff8000, 2,    0x10};
        switch (below(4)) {
            case 0:
                return edges[below(std::size(edges))];
            case 1:
                return below(64);
            default:
                return u32();
        }
    }

  private:
    ptv::SplitMix64 g_;
};

// ----------------------------------------------------------- the encoder --

constexpr uint8_t kNone = 0xff;

struct Mem {
    uint8_t base = kNone, index = kNone, scale = 1;
    int32_t disp = 0;
};

// A ModRM r/m operand: a register or memory.
struct Rm {
    bool is_reg = true;
    uint8_t reg = 0;
    Mem mem;
};

// A group: setup instructions and the instruction under test. A jump's rel8
// is filled in once every group has its length.
struct Group {
    std::vector<uint8_t> bytes;
    int rel8_at = -1;
    size_t target = 0;
};

struct Sequence {
    std::vector<Group> groups;
    std::vector<uint8_t> code;  // linked, ending in HLT
    uint32_t end = 0;           // address of the final HLT
    size_t tested = 0;          // instructions under test
};

class Encoder {
  public:
    explicit Encoder(Group& g) : g_(g) {}
    Encoder& b(uint8_t v) {
        g_.bytes.push_back(v);
        return *this;
    }
    Encoder& w(uint16_t v) { return b(uint8_t(v)).b(uint8_t(v >> 8)); }
    Encoder& d(uint32_t v) { return w(uint16_t(v)).w(uint16_t(v >> 16)); }
    Encoder& imm(uint8_t size, uint32_t v) {
        return size == 1 ? b(uint8_t(v)) : size == 2 ? w(uint16_t(v)) : d(v);
    }
    Encoder& osize(uint8_t size) { return size == 2 ? b(0x66) : *this; }
    Encoder& modrm(uint8_t reg_field, const Rm& rm) {
        const uint8_t r = uint8_t(reg_field << 3);
        if (rm.is_reg) return b(uint8_t(0xc0 | r | rm.reg));
        const Mem& m = rm.mem;
        if (m.base == kNone && m.index == kNone) return b(uint8_t(0x05 | r)).d(uint32_t(m.disp));
        const bool sib = m.index != kNone || m.base == ESP;
        uint8_t mod = 2;
        if (m.base == kNone || (m.disp == 0 && m.base != EBP))
            mod = 0;
        else if (m.disp >= -128 && m.disp <= 127)
            mod = 1;
        b(uint8_t(mod << 6 | r | (sib ? 4 : m.base)));
        if (sib) {
            const uint8_t ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
            b(uint8_t(ss << 6 | (m.index == kNone ? 4 : m.index) << 3 |
                      (m.base == kNone ? 5 : m.base)));
        }
        if (m.base == kNone) return d(uint32_t(m.disp));
        if (mod == 1) return b(uint8_t(m.disp));
        if (mod == 2) return d(uint32_t(m.disp));
        return *this;
    }
    size_t size() const { return g_.bytes.size(); }

  private:
    Group& g_;
};

// -------------------------------------------------------- the generator --

// What an instruction does to the six arithmetic flags, for the generator's
// bookkeeping of which of them may be undefined.
struct FlagEffect {
    uint32_t reads = 0, defines = 0, undefines = 0;
};

uint32_t cc_reads(uint8_t cc) {
    using namespace flags;
    constexpr uint32_t r[8] = {OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF};
    return r[cc >> 1];
}

// Operand sizes and families a test case draws from.
struct Profile {
    const char* name;
    std::array<uint32_t, 3> size_weight;  // 8, 16, 32 bits
    bool jumps = true;
};

constexpr uint8_t kWritable[] = {EAX, ECX, EDX, EBX, ESI, EDI};  // ESP, EBP stay put

class Generator {
  public:
    Generator(uint64_t seed, const Profile& p) : rng_(seed), p_(p) {}

    Sequence sequence(size_t n) {
        Sequence s;
        groups_.clear();
        pending_.clear();
        // The initial flags come in by POPFD (it also makes every flag
        // defined in the model, whose CPU is reused between sequences).
        {
            Group& g = open();
            Encoder(g).b(0x68).d(0x2 | (rng_.u32() & kArith)).b(0x9d);
            undef_ = 0;
        }
        while (s.tested < n) {
            instruction();
            ++s.tested;
        }
        s.groups = std::move(groups_);
        link(s);
        return s;
    }

    uint32_t initial_gpr(int r) {
        if (r == ESP) return kStackStart;
        if (r == EBP) return kData;
        return rng_.interesting();
    }
    Rng& rng() { return rng_; }

  private:
    // A new group; flags undefined on a jump that lands here count too.
    Group& open() {
        if (groups_.size() < pending_.size()) undef_ |= pending_[groups_.size()];
        groups_.emplace_back();
        return groups_.back();
    }
    void jump_to(size_t target) {
        if (target >= pending_.size()) pending_.resize(target + 1, 0);
        pending_[target] |= undef_;
    }
    void effect(const FlagEffect& e) { undef_ = (undef_ & ~e.defines) | e.undefines; }
    // Before an instruction that reads flags: make sure none is undefined.
    // (A jump may land between a defining instruction and the reader: then
    // one more, until no jump brings undefined flags to the reader.)
    void reading(uint32_t flags_read) {
        while (flags_read & (undef_ | arriving())) define_flags();
    }
    uint32_t arriving() const {
        return groups_.size() < pending_.size() ? pending_[groups_.size()] : 0;
    }
    void define_flags() {
        Group& g = open();
        Encoder e(g);
        const uint8_t size = pick_size(false);  // 16 or 32 bits: all six flags from the result
        e.osize(size);
        const uint8_t op = uint8_t(rng_.chance(50) ? 7 : rng_.chance(50) ? 0 : 5);  // cmp/add/sub
        e.b(0x81).modrm(op, Rm{true, rng_.chance(50) ? EAX : EBX, {}});
        e.imm(size, rng_.interesting());
        undef_ = 0;
    }

    uint8_t pick_size(bool allow8 = true) {
        auto w = p_.size_weight;
        if (!allow8) w[0] = 0;
        uint32_t total = w[0] + w[1] + w[2];
        if (total == 0) return 4;
        uint32_t x = rng_.below(total);
        if (x < w[0]) return 1;
        if (x < w[0] + w[1]) return 2;
        return 4;
    }
    uint8_t wreg(uint8_t size) {
        return size == 1 ? uint8_t(rng_.below(8)) : kWritable[rng_.below(6)];
    }
    uint8_t rreg() { return uint8_t(rng_.below(8)); }
    // A 32-bit register for setups, not in `avoid` (a mask of registers).
    uint8_t setup_reg(uint32_t avoid) {
        for (;;) {
            const uint8_t r = kWritable[rng_.below(6)];
            if (!(avoid & (1u << r))) return r;
        }
    }
    // A memory operand in the data area (or, by ESP, the stack), with room
    // for 4 bytes and a bit offset's reach of -8..+28 bytes around it. Its
    // setup `mov`s go into `e`; they use no register in `avoid`.
    Mem mem(Encoder& e, uint32_t avoid = 0) {
        Mem m;
        const uint32_t off = rng_.range(32, 0x2c0);
        auto set = [&](uint8_t r, uint32_t v) { e.b(uint8_t(0xb8 + r)).d(v); };
        switch (rng_.below(7)) {
            case 6:  // [esp + disp8]: into the stack area (pop computes it after popping)
                m.base = ESP;
                m.disp = int32_t(rng_.below(128)) - 64;
                break;
            case 0:  // [disp32]
                m.disp = int32_t(kData + off);
                break;
            case 1:  // [ebp + disp]
                m.base = EBP;
                m.disp = int32_t(rng_.chance(50) ? off & 0x7f : off);
                break;
            case 2:    // [ebp + index * scale + disp]
            case 3: {  // [index * scale + disp32]
                m.index = setup_reg(avoid);
                m.scale = uint8_t(1u << rng_.below(4));
                m.disp = int32_t(off);
                if (rng_.chance(30)) {
                    // A negative index: the sum still lands inside.
                    set(m.index, uint32_t(-int32_t(rng_.range(1, 8))));
                    m.disp += 64;
                } else {
                    set(m.index, rng_.below(32));
                }
                if (rng_.chance(50))
                    m.base = EBP;
                else
                    m.disp += int32_t(kData);
                break;
            }
            case 4: {  // [reg + disp8]
                m.base = setup_reg(avoid);
                set(m.base, kData + off);
                m.disp = int32_t(rng_.range(0, 255)) - 128;
                if (int32_t(off) + m.disp < 32) m.disp = 0;
                break;
            }
            default: {  // [reg + index * scale + disp]
                m.base = setup_reg(avoid);
                m.index = setup_reg(avoid | (1u << m.base));
                m.scale = uint8_t(1u << rng_.below(4));
                set(m.base, kData + off);
                set(m.index, rng_.below(32));
                m.disp = int32_t(rng_.below(16));
                break;
            }
        }
        return m;
    }
    // A destination (or source) r/m: a register (written: ESP/EBP never) or memory.
    Rm rm(Encoder& e, uint8_t size, bool written, uint32_t avoid = 0, uint32_t mem_percent = 40) {
        if (rng_.chance(mem_percent)) return Rm{false, 0, mem(e, avoid)};
        return Rm{true, written ? wreg(size) : rreg(), {}};
    }

    void instruction();
    void link(Sequence& s);

    Rng rng_;
    Profile p_;
    std::vector<Group> groups_;
    std::vector<uint32_t> pending_;  // flags that may be undefined, arriving by a jump
    uint32_t undef_ = 0;
};

void Generator::instruction() {
    using namespace flags;
    enum Family {
        Alu,
        Test,
        Mov,
        MovX,
        Lea,
        Xchg,
        IncDec,
        NegNot,
        Mul,
        Imul,
        Div,
        Shift,
        ShiftDouble,
        BitScan,
        BitTest,
        SetCc,
        CMovCc,
        Jump,
        Stack,
        Convert,
        Bswap,
        Xadd,
        FlagOps,
        CallPop,
        CallRet,
        String,
        Frame,
        Pushad,
        kFamilies
    };
    static constexpr uint32_t weight[kFamilies] = {16, 4, 6, 4, 3, 3, 4, 3, 3, 3, 3, 10, 4, 3,
                                                   5,  4, 4, 6, 4, 2, 1, 2, 3, 1, 1, 3,  1, 1};
    uint32_t total = 0;
    for (uint32_t w : weight) total += w;
    uint32_t x = rng_.below(total);
    int f = 0;
    while (x >= weight[f]) x -= weight[f++];
    if (f == Jump && !p_.jumps) f = Alu;

    const uint8_t size = pick_size();
    const uint8_t w = size == 1 ? 0 : 1;  // the opcode's width bit
    const uint32_t all = kArith, logic = CF | PF | ZF | SF | OF;
    auto set8 = [](Encoder& e, uint8_t r8, uint8_t v) { e.b(uint8_t(0xb0 + r8)).b(v); };
    auto set32 = [](Encoder& e, uint8_t r, uint32_t v) { e.b(uint8_t(0xb8 + r)).d(v); };

    switch (f) {
        case Alu: {  // add or adc sbb and sub xor cmp
            const uint8_t op = uint8_t(rng_.below(8));
            if (op == 2 || op == 3) reading(CF);
            Encoder e(open());
            switch (rng_.below(4)) {
                case 0: {
                    const Rm d = rm(e, size, op != 7);
                    e.osize(size).b(uint8_t(op * 8 + w)).modrm(rreg(), d);
                    break;
                }
                case 1: {
                    const Rm src = rm(e, size, false);
                    e.osize(size).b(uint8_t(op * 8 + 2 + w)).modrm(wreg(size), src);
                    break;
                }
                case 2:
                    e.osize(size).b(uint8_t(op * 8 + 4 + w)).imm(size, rng_.interesting());
                    break;
                default: {
                    const Rm d = rm(e, size, op != 7);
                    if (size != 1 && rng_.chance(50))
                        e.osize(size).b(0x83).modrm(op, d).b(uint8_t(rng_.interesting()));
                    else
                        e.osize(size)
                            .b(uint8_t(0x80 + w))
                            .modrm(op, d)
                            .imm(size, rng_.interesting());
                }
            }
            const bool is_logic = op == 1 || op == 4 || op == 6;
            effect({0, is_logic ? logic : all, is_logic ? AF : 0u});
            return;
        }
        case Test: {
            Encoder e(open());
            switch (rng_.below(3)) {
                case 0: {
                    const Rm d = rm(e, size, false);
                    e.osize(size).b(uint8_t(0x84 + w)).modrm(rreg(), d);
                    break;
                }
                case 1:
                    e.osize(size).b(uint8_t(0xa8 + w)).imm(size, rng_.interesting());
                    break;
                default: {
                    const Rm d = rm(e, size, false);
                    e.osize(size).b(uint8_t(0xf6 + w)).modrm(0, d).imm(size, rng_.interesting());
                }
            }
            effect({0, logic, AF});
            return;
        }
        case Mov: {
            Encoder e(open());
            switch (rng_.below(4)) {
                case 0: {
                    const Rm d = rm(e, size, true);
                    e.osize(size).b(uint8_t(0x88 + w)).modrm(rreg(), d);
                    break;
                }
                case 1: {
                    const Rm src = rm(e, size, false);
                    e.osize(size).b(uint8_t(0x8a + w)).modrm(wreg(size), src);
                    break;
                }
                case 2:
                    e.osize(size).b(uint8_t((size == 1 ? 0xb0 : 0xb8) + wreg(size)));
                    e.imm(size, rng_.interesting());
                    break;
                default: {
                    const Rm d = rm(e, size, true);
                    e.osize(size).b(uint8_t(0xc6 + w)).modrm(0, d).imm(size, rng_.interesting());
                }
            }
            return;
        }
        case MovX: {  // movzx/movsx r16/32, r/m8 or r/m16
            const uint8_t dsize = pick_size(false);
            const uint8_t op = uint8_t(0xb6 + (rng_.chance(50) ? 8 : 0) + rng_.below(2));
            Encoder e(open());
            const Rm src = rm(e, (op & 1) ? 2 : 1, false);
            e.osize(dsize).b(0x0f).b(op).modrm(wreg(dsize), src);
            return;
        }
        case Lea: {
            const uint8_t dsize = pick_size(false);
            Encoder e(open());
            const Mem m = mem(e);
            e.osize(dsize).b(0x8d).modrm(wreg(dsize), Rm{false, 0, m});
            return;
        }
        case Xchg: {
            Encoder e(open());
            if (size != 1 && rng_.chance(30)) {
                e.osize(size).b(uint8_t(0x90 + kWritable[rng_.range(1, 5)]));  // not eax: nop
            } else {
                const Rm d = rm(e, size, true);
                e.osize(size).b(uint8_t(0x86 + w)).modrm(wreg(size), d);
            }
            return;
        }
        case IncDec: {
            const uint8_t op = uint8_t(rng_.below(2));
            Encoder e(open());
            if (size != 1 && rng_.chance(40)) {
                e.osize(size).b(uint8_t(0x40 + op * 8 + wreg(size)));
            } else {
                const Rm d = rm(e, size, true);
                e.osize(size).b(uint8_t(0xfe + w)).modrm(op, d);
            }
            effect({0, all & ~CF, 0});
            return;
        }
        case NegNot: {
            const bool neg = rng_.chance(50);
            Encoder e(open());
            const Rm d = rm(e, size, true);
            e.osize(size).b(uint8_t(0xf6 + w)).modrm(neg ? 3 : 2, d);
            if (neg) effect({0, all, 0});
            return;
        }
        case Mul: {  // mul/imul r/m: (E)DX:(E)AX or AX
            Encoder e(open());
            const Rm src = rm(e, size, false);
            e.osize(size).b(uint8_t(0xf6 + w)).modrm(rng_.chance(50) ? 4 : 5, src);
            effect({0, CF | OF, SF | ZF | AF | PF});
            return;
        }
        case Imul: {  // imul r, r/m (, imm)
            const uint8_t dsize = pick_size(false);
            Encoder e(open());
            const Rm src = rm(e, dsize, false);
            switch (rng_.below(3)) {
                case 0:
                    e.osize(dsize).b(0x0f).b(0xaf).modrm(wreg(dsize), src);
                    break;
                case 1:
                    e.osize(dsize).b(0x69).modrm(wreg(dsize), src).imm(dsize, rng_.interesting());
                    break;
                default:
                    e.osize(dsize).b(0x6b).modrm(wreg(dsize), src).b(uint8_t(rng_.interesting()));
            }
            effect({0, CF | OF, SF | ZF | AF | PF});
            return;
        }
        case Div: {
            // A non-zero divisor; unsigned: the high half below it, signed:
            // the dividend sign-extended and no -1 divisor, so the quotient
            // fits and neither raises #DE (that is its own test case).
            const bool is_signed = rng_.chance(50);
            const uint32_t mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
            uint32_t dv = (rng_.chance(50) ? rng_.range(1, 20) : rng_.u32()) & mask;
            if (dv == 0) dv = 3;
            if (is_signed && dv == mask) dv = mask - 1;  // not -1
            Encoder e(open());
            Rm src;
            if (rng_.chance(40)) {
                src = Rm{false, 0, mem(e, 1u << EAX | 1u << EDX)};
                e.osize(size).b(uint8_t(0xc6 + w)).modrm(0, src).imm(size, dv);
            } else {
                static constexpr uint8_t r8[] = {1, 2, 3, 5, 6, 7};  // not AL, AH
                static constexpr uint8_t r32[] = {ECX, EBX, ESI, EDI};
                src = Rm{true, size == 1 ? r8[rng_.below(6)] : r32[rng_.below(4)], {}};
                if (size == 1)
                    set8(e, src.reg, uint8_t(dv));
                else
                    e.osize(size).b(uint8_t(0xb8 + src.reg)).imm(size, dv);
            }
            if (is_signed) {
                e.osize(size == 4 ? 4 : 2).b(size == 1 ? 0x98 : 0x99);  // cbw, cwd, cdq
            } else if (size == 1) {
                set8(e, 4, uint8_t(rng_.below(dv)));  // mov ah, high
            } else {
                e.osize(size).b(uint8_t(0xb8 + EDX)).imm(size, rng_.below(dv));
            }
            e.osize(size).b(uint8_t(0xf6 + w)).modrm(is_signed ? 7 : 6, src);
            effect({0, 0, all});
            return;
        }
        case Shift: {  // rol ror rcl rcr shl shr sar: by 1, by imm8, by CL
            static constexpr uint8_t ops[] = {0, 1, 2, 3, 4, 5, 7};
            const uint8_t op = ops[rng_.below(7)];
            if (op == 2 || op == 3) reading(CF);
            Encoder e(open());
            const int form = int(rng_.below(3));
            uint32_t count = 1;
            if (form != 0) count = rng_.chance(70) ? rng_.below(32) : rng_.below(256);
            if (form == 2) set8(e, 1, uint8_t(count));  // mov cl, count
            const Rm d = rm(e, size, true, 1u << ECX);
            if (form == 0) e.osize(size).b(uint8_t(0xd0 + w)).modrm(op, d);
            if (form == 1) e.osize(size).b(uint8_t(0xc0 + w)).modrm(op, d).b(uint8_t(count));
            if (form == 2) e.osize(size).b(uint8_t(0xd2 + w)).modrm(op, d);
            const uint32_t c = count & 31, bits = size * 8u;
            if (c == 0) return;  // no flag changes
            const uint32_t of = c == 1 ? OF : 0, of_undef = c == 1 ? 0 : OF;
            if (op <= 3) {
                effect({0, CF | of, of_undef});
            } else {
                const uint32_t cf_undef = op != 7 && c >= bits ? CF : 0;
                effect({0, (all & ~AF & ~OF & ~cf_undef) | of, AF | of_undef | cf_undef});
            }
            return;
        }
        case ShiftDouble: {  // shld/shrd r/m, r, imm8 or cl
            const uint8_t dsize = pick_size(false);
            const bool left = rng_.chance(50), by_cl = rng_.chance(50);
            // Counts above the operand size leave the result undefined.
            const uint32_t c = dsize == 4 ? rng_.below(32) : rng_.below(17);
            const uint32_t count = c + 32 * rng_.below(8);
            Encoder e(open());
            if (by_cl) set8(e, 1, uint8_t(count));
            const Rm d = rm(e, dsize, true, 1u << ECX);
            const uint8_t src = rreg();
            e.osize(dsize).b(0x0f).b(uint8_t((left ? 0xa4 : 0xac) + (by_cl ? 1 : 0))).modrm(src, d);
            if (!by_cl) e.b(uint8_t(count));
            if (c == 0) return;
            effect({0, CF | PF | ZF | SF | (c == 1 ? OF : 0), AF | (c == 1 ? 0 : OF)});
            return;
        }
        case BitScan: {
            const uint8_t dsize = pick_size(false);
            Encoder e(open());
            const Rm src = rm(e, dsize, false);
            e.osize(dsize).b(0x0f).b(rng_.chance(50) ? 0xbc : 0xbd).modrm(wreg(dsize), src);
            effect({0, ZF, CF | OF | SF | AF | PF});
            return;
        }
        case BitTest: {  // bt bts btr btc: r/m, imm8 or r/m, r
            const uint8_t dsize = pick_size(false);
            const uint8_t op = uint8_t(rng_.below(4));  // bt, bts, btr, btc
            Encoder e(open());
            if (rng_.chance(40)) {
                const Rm d = rm(e, dsize, op != 0);
                e.osize(dsize).b(0x0f).b(0xba).modrm(uint8_t(4 + op), d).b(uint8_t(rng_.u32()));
            } else if (rng_.chance(50)) {
                // Memory with a register bit offset: it may reach outside
                // the addressed word, before or after it.
                const uint8_t bit = setup_reg(0);
                set32(e, bit, uint32_t(int32_t(rng_.range(0, 255)) - 64));
                const Mem m = mem(e, 1u << bit);
                e.osize(dsize).b(0x0f).b(uint8_t(0xa3 + 8 * op)).modrm(bit, Rm{false, 0, m});
            } else {
                e.osize(dsize)
                    .b(0x0f)
                    .b(uint8_t(0xa3 + 8 * op))
                    .modrm(rreg(), Rm{true, wreg(dsize), {}});
            }
            effect({0, CF, OF | SF | AF | PF});
            return;
        }
        case SetCc: {
            const uint8_t cc = uint8_t(rng_.below(16));
            reading(cc_reads(cc));
            Encoder e(open());
            const Rm d = rm(e, 1, true);
            e.b(0x0f).b(uint8_t(0x90 + cc)).modrm(0, d);
            return;
        }
        case CMovCc: {
            const uint8_t dsize = pick_size(false);
            const uint8_t cc = uint8_t(rng_.below(16));
            reading(cc_reads(cc));
            Encoder e(open());
            const Rm src = rm(e, dsize, false);
            e.osize(dsize).b(0x0f).b(uint8_t(0x40 + cc)).modrm(wreg(dsize), src);
            return;
        }
        case Jump: {  // jcc, jmp, jecxz, loop(e/ne) rel8: forward over 0 to 3 groups
            const uint8_t cc = uint8_t(rng_.below(16));
            uint8_t opcode = uint8_t(0x70 + cc);
            switch (rng_.below(12)) {
                case 0:
                case 1:
                    opcode = 0xeb;
                    break;  // jmp
                case 2:
                    opcode = 0xe3;
                    break;  // jecxz
                case 3:
                    opcode = 0xe2;
                    break;  // loop
                case 4:
                    opcode = 0xe1;
                    break;  // loope
                case 5:
                    opcode = 0xe0;
                    break;  // loopne
                default:
                    break;
            }
            if (opcode < 0x80) reading(cc_reads(cc));
            if (opcode == 0xe0 || opcode == 0xe1) reading(ZF);
            Group& g = open();
            Encoder(g).b(opcode).b(0);
            g.rel8_at = 1;
            g.target = groups_.size() + rng_.below(4);
            jump_to(g.target);
            return;
        }
        case Stack: {
            Encoder e(open());
            const uint8_t osz = pick_size(false);
            switch (rng_.below(5)) {
                case 0:
                    e.osize(osz).b(uint8_t(0x50 + rreg()));
                    break;  // push r (esp too)
                case 1:
                    e.osize(osz).b(uint8_t(0x58 + wreg(osz)));
                    break;  // pop r
                case 2:
                    if (rng_.chance(50))
                        e.osize(osz).b(0x6a).b(uint8_t(rng_.interesting()));
                    else
                        e.osize(osz).b(0x68).imm(osz, rng_.interesting());
                    break;
                case 3: {
                    const Mem m = mem(e);
                    e.osize(osz).b(0xff).modrm(6, Rm{false, 0, m});  // push r/m
                    break;
                }
                default: {
                    const Rm d = rm(e, osz, true, 0, 70);
                    e.osize(osz).b(0x8f).modrm(0, d);  // pop r/m
                }
            }
            return;
        }
        case Convert: {  // cbw cwde cwd cdq
            Encoder e(open());
            e.osize(rng_.chance(50) ? 2 : 4).b(rng_.chance(50) ? 0x98 : 0x99);
            return;
        }
        case Bswap: {
            Encoder e(open());
            e.b(0x0f).b(uint8_t(0xc8 + wreg(4)));
            return;
        }
        case Xadd: {
            Encoder e(open());
            const Rm d = rm(e, size, true);
            e.osize(size).b(0x0f).b(uint8_t(0xc0 + w)).modrm(wreg(size), d);
            effect({0, all, 0});
            return;
        }
        case FlagOps: {
            switch (rng_.below(5)) {
                case 0:
                    reading(SF | ZF | AF | PF | CF);
                    Encoder(open()).b(0x9f);  // lahf
                    return;
                case 1:
                    Encoder(open()).b(0x9e);  // sahf
                    effect({0, SF | ZF | AF | PF | CF, 0});
                    return;
                case 2:
                    reading(CF);
                    Encoder(open()).b(0xf5);  // cmc
                    return;
                default:
                    Encoder(open()).b(rng_.chance(50) ? 0xf8 : 0xf9);  // clc, stc
                    effect({0, CF, 0});
                    return;
            }
        }
        case CallPop: {  // call the next instruction, pop the return address
            Encoder e(open());
            e.b(0xe8).d(0).b(uint8_t(0x58 + wreg(4)));
            return;
        }
        case CallRet: {  // call a ret (or ret imm16) that a jmp then steps over
            Encoder e(open());
            const bool imm = rng_.chance(50);
            e.b(0xe8).d(2).b(0xeb).b(imm ? 3 : 1);
            if (imm)
                e.b(0xc2).w(uint16_t(4 * rng_.below(4)));
            else
                e.b(0xc3);
            return;
        }
        case String: {  // [rep/repe/repne] movs stos lods cmps scas, either direction
            static constexpr uint8_t ops[] = {0xa4, 0xaa, 0xac, 0xa6, 0xae};
            const uint8_t op = ops[rng_.below(5)];
            const bool compares = op == 0xa6 || op == 0xae;
            const uint8_t rep = rng_.chance(30) ? 0 : compares && rng_.chance(50) ? 0xf2 : 0xf3;
            const uint32_t n = rng_.below(13);
            if (rep && compares) reading(ZF);  // what Zydis says REPE/REPNE test
            Encoder e(open());
            set32(e, ESI, kData + rng_.range(0x100, 0x2c0));
            set32(e, EDI, kData + rng_.range(0x100, 0x2c0));
            set32(e, ECX, n);
            e.b(rng_.chance(30) ? 0xfd : 0xfc);  // std, cld
            if (rep) e.b(rep);
            e.osize(size).b(uint8_t(op + w));
            if (compares && (!rep || n > 0)) effect({0, all, 0});
            return;
        }
        case Frame: {  // push ebp; mov ebp, esp; sub esp, k; mov [ebp-4], r; leave
            Encoder e(open());
            e.b(0x55).b(0x89).b(0xe5).b(0x83).b(0xec).b(uint8_t(4 * rng_.below(8)));
            e.b(0x89).modrm(rreg(), Rm{false, 0, Mem{EBP, kNone, 1, -4}}).b(0xc9);
            effect({0, all, 0});
            return;
        }
        default: {  // pushad, or pushad ... popad
            Encoder e(open());
            e.b(0x60);
            if (rng_.chance(50)) {
                // xor r, r' in between: popad restores registers, not flags.
                e.b(0x31).b(uint8_t(0xc0 | rreg() << 3 | wreg(4))).b(0x61);
                effect({0, logic, AF});
            }
            return;
        }
    }
}

void Generator::link(Sequence& s) {
    std::vector<uint32_t> at(s.groups.size() + 1);
    uint32_t a = kCode;
    for (size_t i = 0; i < s.groups.size(); ++i) {
        at[i] = a;
        a += uint32_t(s.groups[i].bytes.size());
    }
    at[s.groups.size()] = s.end = a;
    for (size_t i = 0; i < s.groups.size(); ++i) {
        Group& g = s.groups[i];
        if (g.rel8_at >= 0) {
            const size_t t = std::min(g.target, s.groups.size());
            const int32_t rel = int32_t(at[t]) - int32_t(at[i] + g.rel8_at + 1);
            REQUIRE(rel >= 0);
            REQUIRE(rel <= 127);
            g.bytes[size_t(g.rel8_at)] = uint8_t(rel);
        }
        s.code.insert(s.code.end(), g.bytes.begin(), g.bytes.end());
    }
    s.code.push_back(kHlt);
    REQUIRE(kCode + s.code.size() < kCodeEnd);
}

// -------------------------------------------------- running on both sides --

// The bare machine for these sequences: no device should ever be touched.
class QuietPlatform : public Platform {
  public:
    uint32_t port_in(Cpu&, uint16_t, uint8_t) override { return ++accesses, 0xffffffffu; }
    void port_out(Cpu&, uint16_t, uint8_t, uint32_t) override { ++accesses; }
    uint32_t mmio_read(Cpu&, uint32_t, uint8_t) override { return ++accesses, 0xffffffffu; }
    void mmio_write(Cpu&, uint32_t, uint8_t, uint32_t) override { ++accesses; }
    void on_hlt(Cpu& cpu) override {
        if (!cpu.state().interrupts_enabled()) cpu.request_stop("hlt", Outcome::Halted);
    }
    int accesses = 0;
};

struct Initial {
    std::array<uint32_t, 8> gpr{};
    std::vector<uint8_t> data, stack;
};

struct Snapshot {
    std::array<uint32_t, 8> gpr{};
    uint32_t eip = 0, eflags = 0;
    std::vector<uint8_t> data, stack;
};

const char* const kGprNames[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

// The differences between the model's and Unicorn's state, flags compared
// where the model says they are defined.
std::vector<std::string> differences(const Snapshot& m, const Snapshot& u, uint32_t undefined) {
    std::vector<std::string> out;
    for (int i = 0; i < 8; ++i)
        if (m.gpr[i] != u.gpr[i])
            out.push_back(fmt::format("{}: model {:#010x}, unicorn {:#010x}", kGprNames[i],
                                      m.gpr[i], u.gpr[i]));
    if (m.eip != u.eip) out.push_back(fmt::format("eip: model {:#x}, unicorn {:#x}", m.eip, u.eip));
    if ((m.eflags ^ u.eflags) & ~undefined)
        out.push_back(
            fmt::format("eflags: model {:#x}, unicorn {:#x} (undefined {:#x}, differ {:#x})",
                        m.eflags, u.eflags, undefined, (m.eflags ^ u.eflags) & ~undefined));
    auto mem_diff = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, uint32_t base,
                        const char* what) {
        for (size_t i = 0; i < a.size(); ++i)
            if (a[i] != b[i]) {
                out.push_back(fmt::format("{} at {:#x}: model {:02x}, unicorn {:02x}", what,
                                          base + i, a[i], b[i]));
                return;
            }
    };
    mem_diff(m.data, u.data, kData, "data");
    mem_diff(m.stack, u.stack, kStackLow, "stack");
    return out;
}

class Harness {
  public:
    Harness() : ram_(kRamBytes), cpu_(ram_, platform_) {
        REQUIRE(ZYAN_SUCCESS(
            ZydisDecoderInit(&zydis_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32)));
        REQUIRE(uc_open(UC_ARCH_X86, UC_MODE_32, &uc_) == UC_ERR_OK);
        REQUIRE(uc_mem_map(uc_, 0, kRamBytes, UC_PROT_ALL) == UC_ERR_OK);
    }
    ~Harness() { uc_close(uc_); }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    Cpu& cpu() { return cpu_; }

    // The same memory image and registers on both sides.
    void load(const Sequence& s, const Initial& init) {
        std::vector<uint8_t> image(kStackHigh - kCode, kHlt);
        std::memcpy(&image[0], s.code.data(), s.code.size());
        std::memcpy(&image[kData - kCode], init.data.data(), init.data.size());
        std::memcpy(&image[kStackLow - kCode], init.stack.data(), init.stack.size());
        // Through write_linear, so the model's decode cache forgets old code.
        for (uint32_t i = 0; i < image.size(); i += 4) {
            uint32_t v;
            std::memcpy(&v, &image[i], 4);
            cpu_.write_linear(kCode + i, 4, v);
        }
        CpuState& st = cpu_.state();
        st.gpr = init.gpr;
        st.eip = kCode;
        st.eflags = flags::Reserved1;
        st.cr0 = 0x11;  // PE, ET
        st.seg[CS] = Segment{0x08, 0, 0xffffffffu, 0x9b, true, true};
        for (Sreg r : {ES, SS, DS, FS, GS})
            st.seg[r] = Segment{0x10, 0, 0xffffffffu, 0x93, true, true};

        REQUIRE(uc_mem_write(uc_, kCode, image.data(), image.size()) == UC_ERR_OK);
        // Unicorn keeps translated blocks across writes: drop the old code's.
        REQUIRE(uc_ctl_remove_cache(uc_, kCode, kCodeEnd) == UC_ERR_OK);
        static constexpr int regs[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX,
                                        UC_X86_REG_EBX, UC_X86_REG_ESP, UC_X86_REG_EBP,
                                        UC_X86_REG_ESI, UC_X86_REG_EDI};
        for (int i = 0; i < 8; ++i) uc_reg_write(uc_, regs[i], &init.gpr[i]);
        uint32_t fl = flags::Reserved1, eip = kCode;
        uc_reg_write(uc_, UC_X86_REG_EFLAGS, &fl);
        uc_reg_write(uc_, UC_X86_REG_EIP, &eip);
    }

    // The flags the instruction at `eip` reads (Zydis's tables).
    uint32_t flags_read(uint32_t eip) {
        ZydisDecodedInstruction z;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zydis_, &ram_[eip], 15, &z, ops))) return 0;
        return z.cpu_flags ? uint32_t(z.cpu_flags->tested) : 0;
    }

    // One model step; a Stop (then cleared, so the CPU can be reused).
    std::optional<Stop> model_step() {
        if (auto st = cpu_.step()) {
            cpu_.run(1);  // takes the pending stop out
            return st;
        }
        return std::nullopt;
    }
    uc_err unicorn_run(uint32_t until, size_t count) {
        uint32_t eip = 0;
        uc_reg_read(uc_, UC_X86_REG_EIP, &eip);
        return uc_emu_start(uc_, eip, until, 0, count);
    }

    Snapshot model_state() {
        Snapshot s;
        s.gpr = cpu_.state().gpr;
        s.eip = cpu_.state().eip;
        s.eflags = cpu_.state().eflags;
        s.data.assign(&ram_[kData], &ram_[kData + kDataBytes]);
        s.stack.assign(&ram_[kStackLow], &ram_[kStackHigh]);
        return s;
    }
    Snapshot unicorn_state() {
        Snapshot s;
        static constexpr int regs[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX,
                                        UC_X86_REG_EBX, UC_X86_REG_ESP, UC_X86_REG_EBP,
                                        UC_X86_REG_ESI, UC_X86_REG_EDI};
        for (int i = 0; i < 8; ++i) uc_reg_read(uc_, regs[i], &s.gpr[i]);
        uc_reg_read(uc_, UC_X86_REG_EIP, &s.eip);
        uc_reg_read(uc_, UC_X86_REG_EFLAGS, &s.eflags);
        s.data.resize(kDataBytes);
        s.stack.resize(kStackHigh - kStackLow);
        uc_mem_read(uc_, kData, s.data.data(), s.data.size());
        uc_mem_read(uc_, kStackLow, s.stack.data(), s.stack.size());
        return s;
    }

    // Address, bytes and Intel syntax of every instruction of the sequence.
    std::string listing(const Sequence& s, uint32_t mark) {
        std::string out;
        uint32_t a = kCode;
        while (a <= s.end) {
            const std::span<const uint8_t> code(&ram_[a], 15);
            const auto insn = cpu_.decoder().decode(code);
            const uint32_t n = insn ? insn->length : 1;
            std::string hex;
            for (uint32_t i = 0; i < n; ++i) hex += fmt::format("{:02x} ", ram_[a + i]);
            out += fmt::format("  {} {:#06x}  {:<30} {}\n", a == mark ? "=>" : "  ", a, hex,
                               cpu_.decoder().disassemble(code, a));
            a += n;
        }
        return out;
    }

    uc_engine* unicorn() { return uc_; }
    QuietPlatform platform_;

  private:
    std::vector<uint8_t> ram_;
    Cpu cpu_;
    uc_engine* uc_ = nullptr;
    ZydisDecoder zydis_;
};

struct Stats {
    size_t sequences = 0, tested = 0, executed = 0, truncated = 0;
};

// The same sequence through binary translation's executor (micro_op.hpp):
// blocks cut at control transfers and at `until`, lowered to pre-decoded
// ops and run by Cpu::run_chained, with lazy flags. It must end where the
// interpreter ended, in the same state.
Snapshot translated_run(Harness& h, const Sequence& s, const Initial& init, uint32_t until,
                        uint32_t& undefined, bool& stopped) {
    h.load(s, init);
    Cpu& cpu = h.cpu();
    std::vector<DecodedInstruction> insns;
    std::vector<MicroOp> ops;
    for (int blocks = 0; blocks < 10000 && !cpu.stopped(); ++blocks) {
        uint32_t eip = cpu.state().eip;
        if (eip == until) break;
        insns.clear();
        insns.reserve(16);  // the ops point into it
        ops.clear();
        while (insns.size() < 12 && eip != until) {
            const DecodedInstruction* in = cpu.fetch(eip);
            if (!in) break;
            insns.push_back(*in);
            eip += in->length;
            if (in->ends_block) break;
        }
        if (insns.empty()) {  // not an instruction: the interpreter raises #UD
            cpu.step();
            continue;
        }
        uint32_t at = cpu.state().eip;
        for (const auto& in : insns) {
            ops.push_back(lower(in, at));
            at += in.length;
        }
        TranslatedBlock block;
        block.count = uint32_t(ops.size());
        ops.push_back(end_of_block());
        block.ops = ops.data();
        TranslatedBlock* b = &block;
        cpu.run_chained(b, 0);
    }
    stopped = cpu.stopped();
    if (stopped) cpu.run(1);  // takes the stop out
    cpu.settle_flags();
    undefined = cpu.undefined_flags();
    return h.model_state();
}

Initial make_initial(Generator& gen) {
    Initial init;
    for (int r = 0; r < 8; ++r) init.gpr[size_t(r)] = gen.initial_gpr(r);
    init.data.resize(kDataBytes);
    for (size_t i = 0; i < kDataBytes; i += 4) {
        const uint32_t v = gen.rng().interesting();
        std::memcpy(&init.data[i], &v, 4);
    }
    init.stack.resize(kStackHigh - kStackLow);
    for (auto& b : init.stack) b = uint8_t(gen.rng().u32());
    return init;
}

// Runs one sequence on both; "" when they agree, else the report.
std::string check_one(Harness& h, const Profile& p, uint64_t seed, size_t length, Stats& stats,
                      bool verbose) {
    Generator gen(seed, p);
    const Sequence seq = gen.sequence(length);
    const Initial init = make_initial(gen);
    h.load(seq, init);

    // The model first: it says where the comparison ends (the final HLT, or
    // an instruction that reads a flag it calls undefined).
    uint32_t until = seq.end;
    std::optional<Stop> stop;
    size_t executed = 0;
    bool truncated = false;
    for (int steps = 0; steps < 10000; ++steps) {
        const uint32_t eip = h.cpu().state().eip;
        if (eip == seq.end) break;
        if (h.flags_read(eip) & h.cpu().undefined_flags()) {
            until = eip;
            truncated = true;
            break;
        }
        if ((stop = h.model_step())) break;
        ++executed;
    }
    const uint32_t undefined = h.cpu().undefined_flags();
    const Snapshot m = h.model_state();
    const uc_err err = h.unicorn_run(until, 10000);
    const Snapshot u = h.unicorn_state();

    ++stats.sequences;
    stats.tested += seq.tested;
    stats.executed += executed;
    stats.truncated += truncated;

    std::vector<std::string> diff = differences(m, u, undefined);
    if (stop) diff.insert(diff.begin(), fmt::format("the model stopped: {}", stop->detail));
    if (!stop) {
        // Binary translation's executor against the interpreter.
        uint32_t t_undefined = 0;
        bool t_stopped = false;
        const Snapshot t = translated_run(h, seq, init, until, t_undefined, t_stopped);
        if (t_stopped) diff.push_back("translated code stopped where the interpreter did not");
        for (const auto& d : differences(m, t, undefined | t_undefined))
            diff.push_back("translated code against the interpreter: " + d);
    }
    if (err != UC_ERR_OK)
        diff.insert(diff.begin(), fmt::format("unicorn stopped: {}", uc_strerror(err)));
    if (h.platform_.accesses) diff.insert(diff.begin(), "the model touched a device");
    if (diff.empty() && !verbose) return "";

    // Find the first instruction after which the two disagree.
    std::string first;
    if (!diff.empty()) {
        h.load(seq, init);
        for (int steps = 0; steps < 10000; ++steps) {
            const uint32_t eip = h.cpu().state().eip;
            if (eip == until) break;
            const auto st = h.model_step();
            const uc_err e = h.unicorn_run(until, 1);
            const auto d =
                differences(h.model_state(), h.unicorn_state(), h.cpu().undefined_flags());
            if (st || e != UC_ERR_OK || !d.empty()) {
                const std::span<const uint8_t> code(&h.cpu().ram()[eip], 15);
                first = fmt::format("first difference after {:#x} {}:\n", eip,
                                    h.cpu().decoder().disassemble(code, eip));
                for (const auto& line : d) first += "    " + line + "\n";
                break;
            }
        }
    }
    std::string regs;
    for (int i = 0; i < 8; ++i) regs += fmt::format(" {}={:#x}", kGprNames[i], init.gpr[size_t(i)]);
    std::string out = fmt::format("{} sequence, seed {} (PTV_UNICORN_SEED={} reruns it){}\n",
                                  p.name, seed, seed, truncated ? ", compared up to =>" : "");
    out += "initial:" + regs + "\n" + h.listing(seq, until);
    for (const auto& line : diff) out += "  " + line + "\n";
    out += first;
    return out;
}

void check_profile(const Profile& p, uint64_t first_seed, size_t sequences, size_t length) {
    Harness h;
    Stats stats;
    const auto t0 = std::chrono::steady_clock::now();
    if (const char* env = std::getenv("PTV_UNICORN_SEED")) {
        const uint64_t seed = std::strtoull(env, nullptr, 10);
        if (seed < first_seed || seed >= first_seed + sequences) return;
        const std::string report = check_one(h, p, seed, length, stats, true);
        MESSAGE(report);
        CHECK(report.find("first difference") == std::string::npos);
        return;
    }
    if (const char* env = std::getenv("PTV_UNICORN_SEQUENCES"))
        sequences = std::strtoull(env, nullptr, 10);
    int failures = 0;
    for (size_t i = 0; i < sequences && failures < 3; ++i) {
        const std::string report = check_one(h, p, first_seed + i, length, stats, false);
        if (!report.empty()) {
            ++failures;
            FAIL_CHECK(report);
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(
        fmt::format("{}: {} sequences, {} instructions under test, {} executed, {} compared "
                    "only up to a read of an undefined flag; {:.1f} s",
                    p.name, stats.sequences, stats.tested, stats.executed, stats.truncated, s));
    // The safety net must stay a safety net: the generator avoids it.
    CHECK(stats.truncated * 20 <= stats.sequences);
}

constexpr size_t kSequences = 5000, kLength = 20;

// A hand-written sequence (no jumps) from its code bytes.
Sequence sequence_of(std::vector<uint8_t> code) {
    Sequence s;
    s.code = std::move(code);
    s.end = kCode + uint32_t(s.code.size());
    s.code.push_back(kHlt);
    return s;
}

void record_interrupt(uc_engine* uc, uint32_t number, void* user) {
    *static_cast<std::optional<uint32_t>*>(user) = number;
    uc_emu_stop(uc);
}

}  // namespace

TEST_CASE("random 32-bit sequences: the model agrees with Unicorn") {
    check_profile({"32-bit", {1, 1, 8}, true}, 1'000'000, kSequences, kLength);
}

TEST_CASE("random 16-bit sequences: the model agrees with Unicorn") {
    check_profile({"16-bit", {1, 8, 1}, true}, 2'000'000, kSequences, kLength);
}

TEST_CASE("random 8-bit sequences: the model agrees with Unicorn") {
    check_profile({"8-bit", {8, 1, 1}, true}, 3'000'000, kSequences, kLength);
}

TEST_CASE("random mixed-size sequences without jumps: the model agrees with Unicorn") {
    check_profile({"mixed", {1, 1, 1}, false}, 4'000'000, kSequences, kLength);
}

TEST_CASE("divide errors raise #DE on the model and on Unicorn, with nothing changed") {
    struct Case {
        const char* what;
        std::array<uint32_t, 4> eax_ecx_edx_ebx;
        std::vector<uint8_t> code;
    };
    const Case cases[] = {
        {"div ecx, ecx = 0", {5, 0, 0, 0}, {0xf7, 0xf1}},
        {"div cx, cx = 0", {5, 0xffff0000, 0, 0}, {0x66, 0xf7, 0xf1}},
        {"div cl, cl = 0", {5, 0x100, 0, 0}, {0xf6, 0xf1}},
        {"div ecx, quotient above 32 bits", {0, 2, 2, 0}, {0xf7, 0xf1}},
        {"div cl, quotient above 8 bits", {0x1000, 0x10, 0, 0}, {0xf6, 0xf1}},
        {"div dword [ebx], [ebx] = 0", {1, 0, 0, kData}, {0xf7, 0x33}},
        {"idiv ecx, INT_MIN / -1", {0x80000000, 0xffffffff, 0xffffffff, 0}, {0xf7, 0xf9}},
        {"idiv cx, -32768 / -1", {0x8000, 0xffff, 0xffff, 0}, {0x66, 0xf7, 0xf9}},
        {"idiv cl, -128 / -1", {0xff80, 0xff, 0, 0}, {0xf6, 0xf9}},
        {"idiv ecx, quotient above 2^31", {0, 1, 1, 0}, {0xf7, 0xf9}},
        {"after an add, in the middle", {7, 0, 3, 0}, {0x01, 0xd0, 0xf7, 0xf1, 0x40}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        Harness h;  // a fresh Unicorn: one that delivered an exception remembers it
        Initial init;
        init.gpr = {c.eax_ecx_edx_ebx[0],
                    c.eax_ecx_edx_ebx[1],
                    c.eax_ecx_edx_ebx[2],
                    c.eax_ecx_edx_ebx[3],
                    kStackStart,
                    kData,
                    0,
                    0};
        init.data.assign(kDataBytes, 0);
        init.stack.assign(kStackHigh - kStackLow, 0);
        const Sequence seq = sequence_of(c.code);
        h.load(seq, init);
        const uint32_t div_at = kCode + (c.code[0] == 0x01 ? 2 : 0);

        // The model, with no IDT: #DE cannot be delivered, #DF neither.
        const Stop stop = h.cpu().run(100);
        CHECK(stop.outcome == Outcome::TripleFault);
        CHECK(stop.detail.find("exception 0 ") != std::string::npos);
        CHECK(stop.eip == div_at);

        std::optional<uint32_t> vector;
        uc_hook hook;
        REQUIRE(uc_hook_add(h.unicorn(), &hook, UC_HOOK_INTR, (void*)record_interrupt, &vector, 1,
                            0) == UC_ERR_OK);
        h.unicorn_run(seq.end, 100);
        REQUIRE(vector.has_value());
        CHECK(*vector == 0);

        const Snapshot m = h.model_state(), u = h.unicorn_state();
        CHECK(u.eip == div_at);
        CHECK(m.eip == div_at);
        CHECK(differences(m, u, h.cpu().undefined_flags()).empty());
    }
}
