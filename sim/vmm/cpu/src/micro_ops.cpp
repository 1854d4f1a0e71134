// Translated code, executed: the handlers of micro_op.hpp, lower() that
// picks one for an instruction, and Cpu::run_chained(). A handler does
// exactly what Cpu::execute() does for its form of instruction (the
// differential tests hold both to the native run), but with its operands
// extracted once, at translation time, and its flags left lazy.
#include <Zydis/Zydis.h>

#include <array>
#include <cstring>
#include <optional>

#include "alu.hpp"
#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

namespace {

enum class AluOp { Add, Sub, Cmp, And, Or, Xor, Test };
enum class Form { RR, RI, RM, MR, MI };

constexpr bool writes(AluOp k) {
    return k != AluOp::Cmp && k != AluOp::Test;
}

int8_t jcc_condition(uint16_t m) {
    static const std::array<ZydisMnemonic, 16> j = {
        ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
        ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
        ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
        ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
    for (int i = 0; i < 16; ++i)
        if (j[i] == m) return int8_t(i);
    return -1;
}

}  // namespace

// A condition straight from the lazy flags where that is cheap (compare
// and branch, test and branch), else from the real ones.
[[gnu::always_inline]] inline bool Cpu::lazy_condition(uint8_t cc) {
    const LazyFlags& f = lazy_;
    const uint32_t sign = alu::sign_of(f.size);
    const int shift = 32 - 8 * f.size;
    auto sx = [shift](uint32_t v) { return int32_t(v << shift) >> shift; };
    int r = -1;
    switch (f.over_mask ? LazyFlags::None : f.kind) {
        case LazyFlags::Sub:
            switch (cc >> 1) {
                case 1:
                    r = f.a < f.b;
                    break;
                case 2:
                    r = f.result == 0;
                    break;
                case 3:
                    r = f.a <= f.b;
                    break;
                case 4:
                    r = (f.result & sign) != 0;
                    break;
                case 6:
                    r = sx(f.a) < sx(f.b);
                    break;
                case 7:
                    r = sx(f.a) <= sx(f.b);
                    break;
            }
            break;
        case LazyFlags::Logic:  // CF = OF = 0
            switch (cc >> 1) {
                case 0:
                case 1:
                    r = 0;
                    break;
                case 2:
                case 3:
                    r = f.result == 0;
                    break;
                case 4:
                case 6:
                    r = (f.result & sign) != 0;
                    break;
                case 7:
                    r = f.result == 0 || (f.result & sign);
                    break;
            }
            break;
        case LazyFlags::Add:
        case LazyFlags::Inc:
        case LazyFlags::Dec:
        case LazyFlags::Shift:
            if ((cc >> 1) == 2) r = f.result == 0;
            if ((cc >> 1) == 4) r = (f.result & sign) != 0;
            break;
        default:
            break;
    }
    if (r < 0) {
        materialize_flags();
        return condition(cc);
    }
    return (cc & 1) ? !r : r;
}

// ------------------------------------------------------------- block --

struct MicroOps {
    using L = Cpu::LazyFlags;

    // ------------------------------------------------------- operands --
    static uint32_t address(const Cpu& c, const MicroOp& op) {
        uint32_t a = uint32_t(op.disp);
        if (op.base < 8) a += c.s_.gpr[op.base];
        if (op.index < 8) a += c.s_.gpr[op.index] * op.scale;
        return op.seg < 6 ? c.s_.seg[op.seg].base + a : a;
    }
    template <uint8_t S>
    static uint32_t load(Cpu& c, uint32_t a) {
        if (uint64_t(a) + S <= c.ram_.size()) {
            uint32_t v = 0;
            std::memcpy(&v, c.ram_.data() + a, S);
            return v;
        }
        // MMIO or the VMM's area: the device may ask to stop or raise an
        // interrupt, so the CPU leaves translated code after this op.
        const uint32_t v = c.read_linear(a, S);
        c.bt_break_ = true;
        return v;
    }
    template <uint8_t S>
    static void store(Cpu& c, uint32_t a, uint32_t v) {
        if (uint64_t(a) + S <= c.ram_.size()) {
            std::memcpy(c.ram_.data() + a, &v, S);
            const uint64_t before = c.cache_.invalidations();
            c.cache_.on_write(a, S);
            // A write into translated code: leave the block, so the next
            // lookup finds the translation stale and translates again.
            if (c.cache_.invalidations() != before) c.bt_break_ = true;
            return;
        }
        c.write_linear(a, S, v);
        c.bt_break_ = true;  // MMIO, as in load()
    }
    template <uint8_t S>
    static uint32_t get(const Cpu& c, uint8_t r) {
        if constexpr (S == 4) return c.s_.gpr[r];
        return c.s_.gpr[r] & alu::mask_of(S);
    }
    template <uint8_t S>
    static void put(Cpu& c, uint8_t r, uint32_t v) {
        if constexpr (S == 4)
            c.s_.gpr[r] = v;
        else
            c.set_reg(r, S, v);
    }

    // ----------------------------------------------------- arithmetic --
    // A 32-bit flag-writing instruction's lazy flags (the fields it needs).
    static void record(Cpu& c, L::Kind kind, uint16_t mnemonic, uint32_t a, uint32_t b,
                       uint32_t result) {
        L& f = c.lazy_;
        f.kind = kind, f.size = 4, f.mnemonic = mnemonic;
        f.a = a, f.b = b, f.result = result;
        f.over_mask = 0;
    }
    template <AluOp K, uint8_t S>
    static uint32_t compute(Cpu& c, uint32_t a, uint32_t b) {
        constexpr uint32_t m = alu::mask_of(S);
        L& f = c.lazy_;
        f.size = S;
        f.over_mask = 0;  // a ROL/ROR's CF and OF before this are overwritten
        uint32_t r;
        if constexpr (K == AluOp::Add) {
            r = (a + b) & m;
            f.kind = L::Add, f.a = a & m, f.b = b & m;
        } else if constexpr (K == AluOp::Sub || K == AluOp::Cmp) {
            r = (a - b) & m;
            f.kind = L::Sub, f.a = a & m, f.b = b & m;
        } else if constexpr (K == AluOp::And || K == AluOp::Test) {
            r = a & b & m;
            f.kind = L::Logic;
        } else if constexpr (K == AluOp::Or) {
            r = (a | b) & m;
            f.kind = L::Logic;
        } else {
            r = (a ^ b) & m;
            f.kind = L::Logic;
        }
        f.result = r;
        return r;
    }
    template <AluOp K, Form F, uint8_t S>
    static void arith(Cpu& c, const MicroOp& op) {
        if constexpr (F == Form::RR || F == Form::RI || F == Form::RM) {
            uint32_t b;
            if constexpr (F == Form::RR) b = get<S>(c, op.src);
            if constexpr (F == Form::RI) b = op.imm;
            if constexpr (F == Form::RM) b = load<S>(c, address(c, op));
            const uint32_t r = compute<K, S>(c, get<S>(c, op.dst), b);
            if constexpr (writes(K)) put<S>(c, op.dst, r);
        } else {
            const uint32_t at = address(c, op);
            const uint32_t b = F == Form::MR ? get<S>(c, op.src) : op.imm;
            const uint32_t r = compute<K, S>(c, load<S>(c, at), b);
            if constexpr (writes(K)) store<S>(c, at, r);
        }
    }
    template <Form F, uint8_t S>
    static void mov(Cpu& c, const MicroOp& op) {
        if constexpr (F == Form::RR) put<S>(c, op.dst, get<S>(c, op.src));
        if constexpr (F == Form::RI) put<S>(c, op.dst, op.imm);
        if constexpr (F == Form::RM) put<S>(c, op.dst, load<S>(c, address(c, op)));
        if constexpr (F == Form::MR) store<S>(c, address(c, op), get<S>(c, op.src));
        if constexpr (F == Form::MI) store<S>(c, address(c, op), op.imm);
    }
    static void lea(Cpu& c, const MicroOp& op) { c.s_.gpr[op.dst] = address(c, op); }
    static void nop(Cpu&, const MicroOp&) {}

    // INC and DEC keep CF: it is taken from the lazy flags before them.
    template <bool Inc>
    static void incdec(Cpu& c, const MicroOp& op) {
        const uint32_t cf = c.lazy_carry();
        const uint32_t a = c.s_.gpr[op.dst];
        c.s_.gpr[op.dst] = Inc ? a + 1 : a - 1;
        record(c, Inc ? L::Inc : L::Dec, 0, a, cf, c.s_.gpr[op.dst]);
    }
    // SHL/SHR/SAR r32, imm (count 1..31, masked at translation).
    template <uint16_t M>
    static void shift(Cpu& c, const MicroOp& op) {
        const uint32_t a = c.s_.gpr[op.dst], n = op.imm;
        uint32_t r;
        if constexpr (M == ZYDIS_MNEMONIC_SHL) r = a << n;
        if constexpr (M == ZYDIS_MNEMONIC_SHR) r = a >> n;
        if constexpr (M == ZYDIS_MNEMONIC_SAR) r = uint32_t(int32_t(a) >> n);
        c.s_.gpr[op.dst] = r;
        record(c, L::Shift, M, a, n, r);
    }
    // ROL/ROR r32, imm write only CF and OF (OF defined for a count of 1).
    template <bool Left>
    static void rotate(Cpu& c, const MicroOp& op) {
        const uint32_t a = c.s_.gpr[op.dst], n = op.imm;
        const uint32_t r = Left ? (a << n) | (a >> (32 - n)) : (a >> n) | (a << (32 - n));
        c.s_.gpr[op.dst] = r;
        const uint32_t cf = Left ? r & 1 : r >> 31;
        const uint32_t of = Left ? (r >> 31) ^ cf : (r >> 31) ^ ((r >> 30) & 1);
        const uint32_t bits = (cf ? flags::CF : 0) | (of ? flags::OF : 0);
        const uint32_t undefined = n == 1 ? 0 : flags::OF;
        L& f = c.lazy_;
        if (f.kind == L::None) return c.set_flags(bits, flags::CF | flags::OF, undefined);
        f.over_mask |= flags::CF | flags::OF;
        f.over_bits = (f.over_bits & ~(flags::CF | flags::OF)) | bits;
        f.over_undefined = (f.over_undefined & ~(flags::CF | flags::OF)) | undefined;
    }
    // IMUL r32, r/m32 (, imm32): CF = OF = "the product did not fit".
    template <Form F, bool Three>
    static void imul(Cpu& c, const MicroOp& op) {
        uint32_t x;
        if constexpr (F == Form::RR) x = c.s_.gpr[op.src];
        if constexpr (F == Form::RM) x = load<4>(c, address(c, op));
        const int64_t p =
            int64_t(int32_t(Three ? x : c.s_.gpr[op.dst])) * int64_t(int32_t(Three ? op.imm : x));
        const uint32_t r = uint32_t(p);
        c.s_.gpr[op.dst] = r;
        record(c, L::Imul, 0, 0, int64_t(int32_t(r)) != p, r);
    }

    // ---------------------------------------------------------- stack --
    static void push_reg(Cpu& c, const MicroOp& op) {
        const uint32_t v = c.s_.gpr[op.src];
        const uint32_t esp = c.s_.gpr[ESP] - 4;
        store<4>(c, c.s_.seg[SS].base + esp, v);
        c.s_.gpr[ESP] = esp;
    }
    static void push_imm(Cpu& c, const MicroOp& op) {
        const uint32_t esp = c.s_.gpr[ESP] - 4;
        store<4>(c, c.s_.seg[SS].base + esp, op.imm);
        c.s_.gpr[ESP] = esp;
    }
    static void pop_reg(Cpu& c, const MicroOp& op) {
        const uint32_t v = load<4>(c, c.s_.seg[SS].base + c.s_.gpr[ESP]);
        c.s_.gpr[ESP] += 4;
        c.s_.gpr[op.dst] = v;
    }

    // ---------------------------------------------- control transfers --
    // Successor 0 is the branch target, successor 1 the fall-through.
    static void jump(Cpu& c, const MicroOp& op) {
        c.s_.eip = op.target;
        c.bt_exit_.successor = 0;
    }
    static void branch(Cpu& c, const MicroOp& op) {
        const bool taken = c.lazy_condition(op.cc);
        c.s_.eip = taken ? op.target : op.next;
        c.bt_exit_.successor = taken ? 0 : 1;
    }
    static void call(Cpu& c, const MicroOp& op) {
        const uint32_t esp = c.s_.gpr[ESP] - 4;
        store<4>(c, c.s_.seg[SS].base + esp, op.next);
        c.s_.gpr[ESP] = esp;
        c.s_.eip = op.target;
        c.bt_exit_.successor = 0;
    }
    static void ret(Cpu& c, const MicroOp& op) {
        const uint32_t target = load<4>(c, c.s_.seg[SS].base + c.s_.gpr[ESP]);
        c.s_.gpr[ESP] += 4 + op.imm;
        c.s_.eip = target;
        c.bt_exit_.kind = BlockExit::Kind::Indirect;
    }
    template <Form F, bool Call>
    static void indirect(Cpu& c, const MicroOp& op) {
        const uint32_t target = F == Form::RR ? c.s_.gpr[op.src] : load<4>(c, address(c, op));
        if constexpr (Call) {
            const uint32_t esp = c.s_.gpr[ESP] - 4;
            store<4>(c, c.s_.seg[SS].base + esp, op.next);
            c.s_.gpr[ESP] = esp;
        }
        c.s_.eip = target;
        c.bt_exit_.kind = BlockExit::Kind::Indirect;
    }

    // Everything else: the interpreter's own semantics for the instruction.
    static void generic(Cpu& c, const MicroOp& op) {
        c.bt_op_ = &op;  // if it faults
        c.materialize_flags();
        c.s_.eip = op.eip;
        c.bt_esp_ = c.s_.gpr[ESP];
        const uint64_t before = c.cache_.invalidations();
        c.execute(*op.insn);
        if (c.stop_ || c.cache_.invalidations() != before || c.pending_irq_) c.bt_break_ = true;
        if (op.terminator) {
            if (c.s_.eip == op.target && op.target != op.next)
                c.bt_exit_.successor = 0;
            else if (c.s_.eip == op.next)
                c.bt_exit_.successor = 1;
            else
                c.bt_exit_.kind = BlockExit::Kind::Indirect;
        } else if (c.s_.eip != op.next) {
            c.bt_break_ = true;  // an unfinished REP chunk
        }
    }

    // ------------------------------------------------------ threading --
    // Each op ends by calling the next one's handler (threaded code): every
    // handler has an indirect call site of its own, which the host's branch
    // predictor learns per instruction form, and there is no loop to run.
    // A block ends with end_of_block(), whose handler just returns; an op
    // after which the CPU must look around (bt_break_) returns early and
    // leaves itself in bt_op_. A block is at most 13 ops deep, with or
    // without the sibling-call optimisation.
    template <OpHandler Body>
    static void threaded(Cpu& c, const MicroOp& op) {
        Body(c, op);
        if (c.bt_break_) {
            c.bt_op_ = &op;
            return;
        }
        const MicroOp& next = (&op)[1];
        next.fn(c, next);
    }
    static void block_end(Cpu& c, const MicroOp& op) { c.bt_op_ = &op; }

    // ---------------------------------------------------------- lower --
    template <template <Form, uint8_t> class Pick, Form F>
    static OpHandler by_size(uint8_t size) {
        switch (size) {
            case 1:
                return Pick<F, 1>::fn;
            case 2:
                return Pick<F, 2>::fn;
            case 4:
                return Pick<F, 4>::fn;
            default:
                return nullptr;
        }
    }
    template <AluOp K>
    struct ArithPick {
        template <Form F, uint8_t S>
        struct Of {
            static constexpr OpHandler fn = &threaded<&arith<K, F, S>>;
        };
    };
    template <Form F, uint8_t S>
    struct MovPick {
        static constexpr OpHandler fn = &threaded<&mov<F, S>>;
    };

    static bool gpr(const Operand& o) {
        return o.kind == Operand::Kind::Reg && o.reg_class == Operand::RegClass::Gpr;
    }
    static bool memory(const Operand& o, MicroOp& op) {
        if (o.kind != Operand::Kind::Mem || o.base == 0xfe || o.index == 0xfe) return false;
        op.seg = o.seg, op.base = o.base, op.index = o.index, op.scale = o.scale, op.disp = o.disp;
        return true;
    }
    // The form of a two-operand instruction, with its operands put in `op`.
    static std::optional<Form> form(const DecodedInstruction& in, MicroOp& op) {
        const Operand &a = in.op[0], &b = in.op[1];
        if (in.operand_count != 2) return std::nullopt;
        if (gpr(a)) {
            op.dst = a.reg;
            if (gpr(b)) return op.src = b.reg, Form::RR;
            if (b.kind == Operand::Kind::Imm)
                return op.imm = b.imm & alu::mask_of(a.size), Form::RI;
            if (memory(b, op)) return Form::RM;
        } else if (memory(a, op)) {
            if (gpr(b)) return op.src = b.reg, Form::MR;
            if (b.kind == Operand::Kind::Imm)
                return op.imm = b.imm & alu::mask_of(a.size), Form::MI;
        }
        return std::nullopt;
    }
    template <AluOp K>
    static OpHandler arith_handler(Form f, uint8_t size) {
        using Pick = ArithPick<K>;
        switch (f) {
            case Form::RR:
                return by_size<Pick::template Of, Form::RR>(size);
            case Form::RI:
                return by_size<Pick::template Of, Form::RI>(size);
            case Form::RM:
                return by_size<Pick::template Of, Form::RM>(size);
            case Form::MR:
                return by_size<Pick::template Of, Form::MR>(size);
            case Form::MI:
                return by_size<Pick::template Of, Form::MI>(size);
        }
        return nullptr;
    }
    static OpHandler mov_handler(Form f, uint8_t size) {
        switch (f) {
            case Form::RR:
                return by_size<MovPick, Form::RR>(size);
            case Form::RI:
                return by_size<MovPick, Form::RI>(size);
            case Form::RM:
                return by_size<MovPick, Form::RM>(size);
            case Form::MR:
                return by_size<MovPick, Form::MR>(size);
            case Form::MI:
                return by_size<MovPick, Form::MI>(size);
        }
        return nullptr;
    }

    static OpHandler choose(const DecodedInstruction& in, MicroOp& op) {
        if (in.address_size != 4 || in.rep || in.repne) return nullptr;
        const Operand& a = in.op[0];
        const uint8_t size = a.size ? a.size : in.operand_size;
        op.size = size;
        switch (in.mnemonic) {
            case ZYDIS_MNEMONIC_NOP:
                return &threaded<&nop>;
            case ZYDIS_MNEMONIC_MOV: {
                if (in.privileged || in.sensitive) return nullptr;  // CRn, sreg
                const auto f = form(in, op);
                return f ? mov_handler(*f, size) : nullptr;
            }
            case ZYDIS_MNEMONIC_ADD:
            case ZYDIS_MNEMONIC_SUB:
            case ZYDIS_MNEMONIC_CMP:
            case ZYDIS_MNEMONIC_AND:
            case ZYDIS_MNEMONIC_OR:
            case ZYDIS_MNEMONIC_XOR:
            case ZYDIS_MNEMONIC_TEST: {
                const auto f = form(in, op);
                if (!f) return nullptr;
                switch (in.mnemonic) {
                    case ZYDIS_MNEMONIC_ADD:
                        return arith_handler<AluOp::Add>(*f, size);
                    case ZYDIS_MNEMONIC_SUB:
                        return arith_handler<AluOp::Sub>(*f, size);
                    case ZYDIS_MNEMONIC_CMP:
                        return arith_handler<AluOp::Cmp>(*f, size);
                    case ZYDIS_MNEMONIC_AND:
                        return arith_handler<AluOp::And>(*f, size);
                    case ZYDIS_MNEMONIC_OR:
                        return arith_handler<AluOp::Or>(*f, size);
                    case ZYDIS_MNEMONIC_XOR:
                        return arith_handler<AluOp::Xor>(*f, size);
                    default:
                        return arith_handler<AluOp::Test>(*f, size);
                }
            }
            case ZYDIS_MNEMONIC_LEA:
                if (!gpr(a) || size != 4 || !memory(in.op[1], op)) return nullptr;
                op.dst = a.reg;
                op.seg = 0xff;  // an address, not a memory access
                return &threaded<&lea>;
            case ZYDIS_MNEMONIC_INC:
            case ZYDIS_MNEMONIC_DEC:
                if (!gpr(a) || size != 4) return nullptr;
                op.dst = a.reg;
                return in.mnemonic == ZYDIS_MNEMONIC_INC ? &threaded<&incdec<true>>
                                                         : &threaded<&incdec<false>>;
            case ZYDIS_MNEMONIC_SHL:
            case ZYDIS_MNEMONIC_SHR:
            case ZYDIS_MNEMONIC_SAR:
            case ZYDIS_MNEMONIC_ROL:
            case ZYDIS_MNEMONIC_ROR:
                if (!gpr(a) || size != 4 || in.op[1].kind != Operand::Kind::Imm) return nullptr;
                op.dst = a.reg;
                op.imm = in.op[1].imm & 0x1f;
                if (op.imm == 0)
                    return &threaded<&nop>;  // a count of 0 changes nothing, flags included
                switch (in.mnemonic) {
                    case ZYDIS_MNEMONIC_SHL:
                        return &threaded<&shift<ZYDIS_MNEMONIC_SHL>>;
                    case ZYDIS_MNEMONIC_SHR:
                        return &threaded<&shift<ZYDIS_MNEMONIC_SHR>>;
                    case ZYDIS_MNEMONIC_SAR:
                        return &threaded<&shift<ZYDIS_MNEMONIC_SAR>>;
                    case ZYDIS_MNEMONIC_ROL:
                        return &threaded<&rotate<true>>;
                    default:
                        return &threaded<&rotate<false>>;
                }
            case ZYDIS_MNEMONIC_IMUL: {
                if (!gpr(a) || size != 4 || in.operand_count < 2) return nullptr;
                op.dst = a.reg;
                const Operand& b = in.op[1];
                const bool three = in.operand_count == 3;
                if (three) {
                    if (in.op[2].kind != Operand::Kind::Imm) return nullptr;
                    op.imm = in.op[2].imm;
                }
                if (gpr(b)) {
                    op.src = b.reg;
                    return three ? &threaded<&imul<Form::RR, true>>
                                 : &threaded<&imul<Form::RR, false>>;
                }
                if (memory(b, op))
                    return three ? &threaded<&imul<Form::RM, true>>
                                 : &threaded<&imul<Form::RM, false>>;
                return nullptr;
            }
            case ZYDIS_MNEMONIC_PUSH:
                if (in.operand_size != 4) return nullptr;
                if (gpr(a) && a.size == 4) return op.src = a.reg, OpHandler(&threaded<&push_reg>);
                if (a.kind == Operand::Kind::Imm) {
                    op.imm = a.size == 1 ? uint32_t(int32_t(int8_t(a.imm))) : a.imm;
                    return &threaded<&push_imm>;
                }
                return nullptr;
            case ZYDIS_MNEMONIC_POP:
                if (in.operand_size != 4 || !gpr(a) || a.size != 4) return nullptr;
                return op.dst = a.reg, OpHandler(&threaded<&pop_reg>);
            case ZYDIS_MNEMONIC_JMP:
                if (in.operand_size != 4 || in.far) return nullptr;
                if (a.kind == Operand::Kind::Imm) return &threaded<&jump>;
                if (gpr(a) && a.size == 4)
                    return op.src = a.reg, OpHandler(&threaded<&indirect<Form::RR, false>>);
                if (a.size == 4 && memory(a, op)) return &threaded<&indirect<Form::RM, false>>;
                return nullptr;
            case ZYDIS_MNEMONIC_CALL:
                if (in.operand_size != 4 || in.far) return nullptr;
                if (a.kind == Operand::Kind::Imm) return &threaded<&call>;
                if (gpr(a) && a.size == 4)
                    return op.src = a.reg, OpHandler(&threaded<&indirect<Form::RR, true>>);
                if (a.size == 4 && memory(a, op)) return &threaded<&indirect<Form::RM, true>>;
                return nullptr;
            case ZYDIS_MNEMONIC_RET:
                if (in.operand_size != 4 || in.far) return nullptr;
                op.imm = in.operand_count >= 1 && a.kind == Operand::Kind::Imm ? a.imm & 0xffff : 0;
                return &threaded<&ret>;
            default: {
                const int8_t cc = jcc_condition(in.mnemonic);
                if (cc < 0 || in.operand_size != 4) return nullptr;
                op.cc = uint8_t(cc);
                return &threaded<&branch>;
            }
        }
    }
};

MicroOp end_of_block() {
    MicroOp op;
    op.fn = &MicroOps::block_end;
    return op;
}

MicroOp lower(const DecodedInstruction& in, uint32_t eip) {
    MicroOp op;
    op.insn = &in;
    op.eip = eip;
    op.next = eip + in.length;
    op.terminator = in.ends_block;
    // A direct branch's target (JMP/Jcc/CALL rel, LOOP, JECXZ).
    if (in.ends_block && in.op[0].kind == Operand::Kind::Imm && !in.far &&
        in.mnemonic != ZYDIS_MNEMONIC_RET && in.mnemonic != ZYDIS_MNEMONIC_INT)
        op.target = op.next + in.op[0].imm;
    else
        op.target = op.next;
    op.fn = MicroOps::choose(in, op);
    if (!op.fn) {
        op.fn = &MicroOps::threaded<&MicroOps::generic>;
        op.generic = true;
    }
    return op;
}

// ------------------------------------------------------------- flags --

uint32_t Cpu::lazy_carry() const {
    const LazyFlags& f = lazy_;
    if (f.over_mask & flags::CF) return (f.over_bits & flags::CF) ? 1 : 0;
    switch (f.kind) {
        case LazyFlags::Add:
            return f.result < f.a ? 1 : 0;  // masked values: the sum wrapped
        case LazyFlags::Sub:
            return f.a < f.b ? 1 : 0;
        case LazyFlags::Logic:
            return 0;
        case LazyFlags::Inc:
        case LazyFlags::Dec:
        case LazyFlags::Imul:
            return f.b;
        case LazyFlags::Shift:  // 32-bit, count 1..31 (the only fast shifts)
            if (f.mnemonic == ZYDIS_MNEMONIC_SHL) return (f.a >> (32 - f.b)) & 1;
            if (f.mnemonic == ZYDIS_MNEMONIC_SHR) return (f.a >> (f.b - 1)) & 1;
            return uint32_t(int32_t(f.a) >> (f.b - 1)) & 1;
        case LazyFlags::None:
            break;
    }
    return 2;  // EFLAGS has it
}

void Cpu::materialize_flags() {
    const LazyFlags f = lazy_;
    if (f.kind == LazyFlags::None) return;
    lazy_ = LazyFlags{};
    alu::Result r{};
    switch (f.kind) {
        case LazyFlags::Add:
            r = alu::add(f.a, f.b, 0, f.size);
            break;
        case LazyFlags::Sub:
            r = alu::sub(f.a, f.b, 0, f.size);
            break;
        case LazyFlags::Logic:
            r = alu::logic(f.result, f.size);
            break;
        case LazyFlags::Inc:
        case LazyFlags::Dec:
            r = f.kind == LazyFlags::Inc ? alu::inc(f.a, f.size) : alu::dec(f.a, f.size);
            if (f.b != 2) {  // CF from the lazy flags before it
                r.flags |= f.b ? flags::CF : 0;
                r.written |= flags::CF;
            }
            break;
        case LazyFlags::Shift:
            r = alu::shift(f.mnemonic, f.a, f.b, 0, f.size);
            break;
        case LazyFlags::Imul:
            r = {f.result, alu::szp(f.result, f.size) | (f.b ? flags::CF | flags::OF : 0),
                 flags::Arithmetic, flags::SF | flags::ZF | flags::AF | flags::PF};
            break;
        case LazyFlags::None:
            return;
    }
    set_flags(r.flags, r.written, r.undefined);
    if (f.over_mask) set_flags(f.over_bits, f.over_mask, f.over_undefined);
}

// The hot loop of binary translation: the ops of a block, then straight
// into the block its exit is chained to. Whatever could need the CPU's
// attention between instructions (a write into code, an MMIO access, a
// stop, an interrupt made pending, a fault) sets bt_break_ or throws, so
// the loop checks nothing else per op.
BlockExit Cpu::run_chained(TranslatedBlock*& b, uint64_t budget) {
    uint64_t total = 0;
    uint64_t timer_left = until_timer();
    bt_break_ = false;
    for (;;) {
        ++b->executions;
        bt_exit_.kind = BlockExit::Kind::Successor;
        const MicroOp* const end = b->ops + b->count;
        try {
            b->ops[0].fn(*this, b->ops[0]);  // runs every op, threaded (ops[count] ends it)
        } catch (const CpuFault& f) {
            // Only generic ops fault; they made the flags real first. The
            // instruction restarts: its own EIP, its ESP.
            const MicroOp* op = bt_op_;
            const uint32_t done = uint32_t(op - b->ops);
            s_.eip = op->eip;
            s_.gpr[ESP] = bt_esp_;
            counters_.instructions += total + done;
            event(Event{Event::Kind::Exception, f.vector, f.has_error, f.error, op->eip, op->eip});
            return BlockExit{BlockExit::Kind::Break, 0, true, done, total + done};
        }
        if (bt_break_) {  // left after *op
            const MicroOp* op = bt_op_;
            const bool unsupported = stop_ && stop_->outcome == Outcome::UnsupportedInstruction;
            if (!op->generic && !op->terminator) s_.eip = op->next;
            const uint32_t done = uint32_t(op - b->ops) + (unsupported ? 0 : 1);
            if (op + 1 == end && !unsupported) ++b->completed;
            counters_.instructions += total + done;
            return BlockExit{BlockExit::Kind::Break, bt_exit_.successor, false, done, total + done};
        }
        ++b->completed;
        total += b->count;
        const MicroOp& last = end[-1];
        if (!last.terminator) {
            s_.eip = last.next;  // cut by the size cap or before a callout
            bt_exit_.successor = 1;
        }
        TranslatedBlock* next = nullptr;
        if (bt_exit_.kind == BlockExit::Kind::Successor) {
            next = b->chain[bt_exit_.successor];
        } else if (__builtin_expect(b->chain[0] != nullptr, 0)) {
            // An indirect exit a translator chained anyway goes where the
            // chain points, as patched translated code would, whatever the
            // target (the kit's translator never chains one).
            next = b->chain[0];
        } else if (!bt_targets_.empty()) {  // indirect: the translator's earlier answer
            const uint32_t linear = s_.seg[CS].base + s_.eip;
            const BlockTarget& t = bt_targets_[linear % kBlockTargets];
            if (t.block && t.linear == linear) next = t.block;
        }
        // A block retranslated into a callout since it was chained (count 0)
        // is the translator's to run.
        if (!next || next->count == 0 || next->checked_at != cache_.invalidations() ||
            (budget && total + next->count > budget)) {
            counters_.instructions += total;
            return BlockExit{bt_exit_.kind, bt_exit_.successor, false, b->count, total};
        }
        if (bt_exit_.kind == BlockExit::Kind::Successor)
            ++b->chained[bt_exit_.successor];
        else if (__builtin_expect(next == b->chain[0], 0))
            ++b->chained[0];
        else
            ++bt_indirect_hits_;
        if (total >= timer_left) [[unlikely]] {
            // The timer runs between two blocks, where interrupts are taken
            // too, on the model's time: this chain's instructions count.
            counters_.instructions += total;
            poll_timer();
            counters_.instructions -= total;
            timer_left = until_timer();
        }
        b = next;
    }
}

void Cpu::remember_block(uint32_t linear, TranslatedBlock* block) {
    if (bt_targets_.empty()) bt_targets_.resize(kBlockTargets);
    bt_targets_[linear % kBlockTargets] = {linear, block};
}

}  // namespace ptv::vmm
