#include "ptv/vmm/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "ptv/vmm/state.hpp"

namespace ptv::vmm {

namespace {

using Kind = Operand::Kind;
using RegClass = Operand::RegClass;

bool map_register(ZydisRegister r, Operand& o) {
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) {
        o.reg_class = RegClass::Gpr;
        o.reg = uint8_t(r - ZYDIS_REGISTER_EAX);
    } else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) {
        o.reg_class = RegClass::Gpr;
        o.reg = uint8_t(r - ZYDIS_REGISTER_AX);
    } else if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) {
        o.reg_class = RegClass::Gpr;
        o.reg = uint8_t(r - ZYDIS_REGISTER_AL);
    } else if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
        o.reg_class = RegClass::Gpr8High;
        o.reg = uint8_t(r - ZYDIS_REGISTER_AH);
    } else if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
        o.reg_class = RegClass::Sreg;
        o.reg = uint8_t(r - ZYDIS_REGISTER_ES);
    } else if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
        o.reg_class = RegClass::Cr;
        o.reg = uint8_t(r - ZYDIS_REGISTER_CR0);
    } else {
        o.reg_class = RegClass::Other;
        o.reg = 0;
        return false;
    }
    return true;
}

uint8_t gpr_index(ZydisRegister r) {
    if (r == ZYDIS_REGISTER_NONE) return 0xff;
    Operand o;
    if (!map_register(r, o) || o.reg_class != RegClass::Gpr) return 0xfe;  // unsupported base
    return o.reg;
}

uint8_t sreg_index(ZydisRegister r) {
    if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return uint8_t(r - ZYDIS_REGISTER_ES);
    return 3;  // DS
}

// Privileged: #GP(0) unless CPL = 0 (SDM vol. 3, 5.9).
bool is_privileged(ZydisMnemonic m) {
    switch (m) {
        case ZYDIS_MNEMONIC_HLT:
        case ZYDIS_MNEMONIC_LGDT:
        case ZYDIS_MNEMONIC_LIDT:
        case ZYDIS_MNEMONIC_LLDT:
        case ZYDIS_MNEMONIC_LTR:
        case ZYDIS_MNEMONIC_LMSW:
        case ZYDIS_MNEMONIC_CLTS:
        case ZYDIS_MNEMONIC_INVD:
        case ZYDIS_MNEMONIC_WBINVD:
        case ZYDIS_MNEMONIC_INVLPG:
        case ZYDIS_MNEMONIC_RDMSR:
        case ZYDIS_MNEMONIC_WRMSR:
        case ZYDIS_MNEMONIC_SYSEXIT:
            return true;
        default:
            return false;
    }
}

// Robin & Irvine (2000): sensitive but not privileged on IA-32.
bool is_sensitive(ZydisMnemonic m, const DecodedInstruction& insn) {
    switch (m) {
        case ZYDIS_MNEMONIC_SGDT:
        case ZYDIS_MNEMONIC_SIDT:
        case ZYDIS_MNEMONIC_SLDT:
        case ZYDIS_MNEMONIC_SMSW:
        case ZYDIS_MNEMONIC_STR:
        case ZYDIS_MNEMONIC_PUSHFD:
        case ZYDIS_MNEMONIC_PUSHF:
        case ZYDIS_MNEMONIC_POPFD:
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_LAR:
        case ZYDIS_MNEMONIC_LSL:
        case ZYDIS_MNEMONIC_VERR:
        case ZYDIS_MNEMONIC_VERW:
        case ZYDIS_MNEMONIC_INT:
        case ZYDIS_MNEMONIC_INT3:
        case ZYDIS_MNEMONIC_IRETD:
        case ZYDIS_MNEMONIC_IRET:
            return true;
        case ZYDIS_MNEMONIC_PUSH:
        case ZYDIS_MNEMONIC_POP:
        case ZYDIS_MNEMONIC_MOV:
            for (const auto& o : insn.op)
                if (o.kind == Kind::Reg && o.reg_class == RegClass::Sreg) return true;
            return false;
        case ZYDIS_MNEMONIC_JMP:
        case ZYDIS_MNEMONIC_CALL:
            return insn.op[0].kind == Kind::Ptr;
        case ZYDIS_MNEMONIC_RET:
            return insn.far;
        default:
            return false;
    }
}

bool ends_block(const ZydisDecodedInstruction& z) {
    switch (z.meta.category) {
        case ZYDIS_CATEGORY_COND_BR:
        case ZYDIS_CATEGORY_UNCOND_BR:
        case ZYDIS_CATEGORY_CALL:
        case ZYDIS_CATEGORY_RET:
        case ZYDIS_CATEGORY_INTERRUPT:
        case ZYDIS_CATEGORY_SYSTEM:
            return true;
        default:
            return z.mnemonic == ZYDIS_MNEMONIC_HLT || z.mnemonic == ZYDIS_MNEMONIC_IRETD ||
                   z.mnemonic == ZYDIS_MNEMONIC_LOOP || z.mnemonic == ZYDIS_MNEMONIC_SYSENTER ||
                   z.mnemonic == ZYDIS_MNEMONIC_SYSEXIT;
    }
}

}  // namespace

Decoder::Decoder() {
    ZydisDecoderInit(&decoder_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_INTEL);
}

std::optional<DecodedInstruction> Decoder::decode(std::span<const uint8_t> code) const {
    ZydisDecodedInstruction z;
    ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, code.data(), code.size(), &z, zops)))
        return std::nullopt;
    DecodedInstruction insn;
    insn.mnemonic = uint16_t(z.mnemonic);
    insn.length = z.length;
    insn.operand_size = uint8_t(z.operand_width / 8);
    insn.address_size = uint8_t(z.address_width / 8);
    insn.rep = z.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE);
    insn.repne = z.attributes & ZYDIS_ATTRIB_HAS_REPNE;
    const std::pair<ZydisInstructionAttributes, Sreg> overrides[] = {
        {ZYDIS_ATTRIB_HAS_SEGMENT_ES, ES}, {ZYDIS_ATTRIB_HAS_SEGMENT_CS, CS},
        {ZYDIS_ATTRIB_HAS_SEGMENT_SS, SS}, {ZYDIS_ATTRIB_HAS_SEGMENT_DS, DS},
        {ZYDIS_ATTRIB_HAS_SEGMENT_FS, FS}, {ZYDIS_ATTRIB_HAS_SEGMENT_GS, GS}};
    for (auto [attr, sreg] : overrides)
        if (z.attributes & attr) insn.segment_override = sreg;
    std::memcpy(insn.bytes.data(), code.data(), std::min<size_t>(z.length, 15));

    uint8_t n = 0;
    for (uint8_t i = 0; i < z.operand_count_visible && n < 3; ++i) {
        const ZydisDecodedOperand& zo = zops[i];
        Operand& o = insn.op[n++];
        o.size = uint8_t(zo.size / 8);
        switch (zo.type) {
            case ZYDIS_OPERAND_TYPE_REGISTER:
                o.kind = Kind::Reg;
                map_register(zo.reg.value, o);
                break;
            case ZYDIS_OPERAND_TYPE_MEMORY:
                o.kind = Kind::Mem;
                o.seg = sreg_index(zo.mem.segment);
                o.base = gpr_index(zo.mem.base);
                o.index = gpr_index(zo.mem.index);
                o.scale = zo.mem.scale;
                o.disp = int32_t(zo.mem.disp.value);
                if (zo.mem.type == ZYDIS_MEMOP_TYPE_AGEN) o.seg = 0xff;  // lea: no segment
                break;
            case ZYDIS_OPERAND_TYPE_IMMEDIATE:
                o.kind = Kind::Imm;
                o.imm = uint32_t(zo.imm.is_relative ? uint64_t(int64_t(zo.imm.value.s))
                                                    : zo.imm.value.u);
                if (zo.imm.is_relative) o.imm = uint32_t(int32_t(zo.imm.value.s));
                // A sign-extended imm8 (83 /n, 6B, 6A) comes already extended,
                // but with its encoded size of 1: widen it to the operand
                // size, or read_operand masks `add eax, -1` back to 0xff.
                if (zo.imm.is_signed && !zo.imm.is_relative && o.size < insn.operand_size)
                    o.size = insn.operand_size;
                break;
            case ZYDIS_OPERAND_TYPE_POINTER:
                o.kind = Kind::Ptr;
                o.ptr_segment = zo.ptr.segment;
                o.imm = zo.ptr.offset;
                break;
            default:
                o.kind = Kind::None;
                break;
        }
    }
    insn.operand_count = n;
    insn.far = z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    insn.privileged = is_privileged(z.mnemonic) ||
                      (z.mnemonic == ZYDIS_MNEMONIC_MOV &&
                       ((insn.op[0].kind == Kind::Reg && insn.op[0].reg_class == RegClass::Cr) ||
                        (insn.op[1].kind == Kind::Reg && insn.op[1].reg_class == RegClass::Cr)));
    insn.io = z.mnemonic == ZYDIS_MNEMONIC_IN || z.mnemonic == ZYDIS_MNEMONIC_OUT ||
              z.mnemonic == ZYDIS_MNEMONIC_INSB || z.mnemonic == ZYDIS_MNEMONIC_INSW ||
              z.mnemonic == ZYDIS_MNEMONIC_INSD || z.mnemonic == ZYDIS_MNEMONIC_OUTSB ||
              z.mnemonic == ZYDIS_MNEMONIC_OUTSW || z.mnemonic == ZYDIS_MNEMONIC_OUTSD;
    insn.sensitive = is_sensitive(z.mnemonic, insn);
    insn.ends_block = ends_block(z);
    insn.system = insn.privileged || insn.io || insn.sensitive ||
                  z.mnemonic == ZYDIS_MNEMONIC_CLI || z.mnemonic == ZYDIS_MNEMONIC_STI ||
                  z.mnemonic == ZYDIS_MNEMONIC_CPUID || z.mnemonic == ZYDIS_MNEMONIC_SYSENTER ||
                  z.mnemonic == ZYDIS_MNEMONIC_SYSEXIT;
    return insn;
}

std::string Decoder::disassemble(std::span<const uint8_t> code, uint32_t address) const {
    ZydisDecodedInstruction z;
    ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, code.data(), code.size(), &z, zops)))
        return "(bad)";
    char buf[160];
    ZydisFormatterFormatInstruction(&formatter_, &z, zops, z.operand_count_visible, buf, sizeof buf,
                                    address, nullptr);
    return buf;
}

DecodeCache::DecodeCache(size_t ram_bytes)
    : entries_(kSlots),
      code_((ram_bytes >> kLineShift) + 1, 0),
      gen_((ram_bytes >> kLineShift) + 1, 0) {}

const DecodedInstruction* DecodeCache::insert(uint32_t address, const DecodedInstruction& insn) {
    const uint32_t first = address >> kLineShift;
    const uint32_t last = (address + insn.length - 1) >> kLineShift;
    if (last >= code_.size()) return nullptr;  // code outside RAM is not cached
    code_[first] |= kDecoded;
    code_[last] |= kDecoded;
    Entry& e = entries_[slot(address)];
    e.address = address;
    e.valid = true;
    e.gen_first = gen_[first];
    e.gen_last = gen_[last];
    e.insn = insn;
    return &e.insn;
}

}  // namespace ptv::vmm
