// The lab's API (include/ptv/lab/bt/translator.hpp) over the kit's
// translator, and the student's three decisions as the kit's
// TranslatorDecisions (sim/vmm/techniques/binary_translation.hpp).
#include "harness/api.hpp"

#include <Zydis/Zydis.h>

#include <cctype>

namespace ptv::lab::bt {

std::string Instruction::mnemonic() const {
    std::string m = ZydisMnemonicGetString(ZydisMnemonic(insn_->mnemonic));
    for (char& c : m) c = char(std::tolower(static_cast<unsigned char>(c)));
    return m;
}

int Instruction::operand_count() const {
    return insn_->operand_count;
}

OperandKind Instruction::operand(int i) const {
    if (i < 0 || i >= insn_->operand_count || i >= int(insn_->op.size())) return OperandKind::None;
    const vmm::Operand& o = insn_->op[size_t(i)];
    using K = vmm::Operand::Kind;
    using C = vmm::Operand::RegClass;
    switch (o.kind) {
        case K::Reg:
            return o.reg_class == C::Sreg ? OperandKind::SegmentRegister
                   : o.reg_class == C::Cr ? OperandKind::ControlRegister
                                          : OperandKind::Register;
        case K::Mem:
            return OperandKind::Memory;
        case K::Imm:
            return OperandKind::Immediate;
        case K::Ptr:
            return OperandKind::FarPointer;
        default:
            return OperandKind::None;
    }
}

bool Instruction::privileged() const {
    return insn_->privileged;
}
bool Instruction::io() const {
    return insn_->io;
}
bool Instruction::sensitive() const {
    return insn_->sensitive;
}
bool Instruction::far() const {
    return insn_->far;
}
bool Instruction::control_transfer() const {
    return insn_->ends_block;
}

uint32_t Unit::eip() const {
    return unit_->eip;
}
uint32_t Unit::linear() const {
    return unit_->linear;
}
uint32_t Unit::bytes() const {
    return unit_->bytes;
}
bool Unit::has_successor(int slot) const {
    return (slot == 0 || slot == 1) && unit_->has_successor[size_t(slot)];
}
uint32_t Unit::successor(int slot) const {
    return has_successor(slot) ? unit_->successor[size_t(slot)] : 0;
}
void Unit::chain(int slot, Unit to) {
    if (slot == 0 || slot == 1) vmm::TranslationCache::chain(*unit_, uint8_t(slot), *to.unit_);
}
void Unit::invalidate() {
    // Through the cache, which counts the units it marks.
    owner_of(*unit_).invalidate(*unit_);
}

std::vector<Unit> Cache::units_overlapping(uint32_t first, uint32_t last) const {
    std::vector<Unit> v;
    for (vmm::TranslationUnit* u : cache_->overlapping(first, last)) v.emplace_back(*u);
    return v;
}

namespace {

vmm::TranslationCache* g_cache = nullptr;  // the cache of the run in progress

vmm::Translation classify_adapter(const vmm::DecodedInstruction& insn) {
    switch (classify(Instruction(insn))) {
        case Translation::Identity:
            return vmm::Translation::Identity;
        case Translation::Inline:
            return vmm::Translation::Inline;
        case Translation::Callout:
            return vmm::Translation::Callout;
    }
    throw Failure("classify() returned a value that is not a Translation");
}

void chain_adapter(vmm::TranslationUnit& from, vmm::UnitExit exit, vmm::TranslationUnit& to) {
    chain(Unit(from), Exit{exit.slot, exit.indirect}, Unit(to));
}

void invalidate_adapter(vmm::TranslationCache& cache, uint32_t first, uint32_t last) {
    g_cache = &cache;
    Cache c(cache);
    invalidate(c, CodeWrite{first, last});
}

}  // namespace

vmm::TranslationCache& owner_of(vmm::TranslationUnit&) {
    if (!g_cache) throw Failure("Unit::invalidate() outside invalidate()");
    return *g_cache;
}

vmm::TranslatorDecisions student_decisions() {
    vmm::TranslatorDecisions d;
    d.classify = &classify_adapter;
    d.chain = &chain_adapter;
    d.invalidate = &invalidate_adapter;
    return d;
}

vmm::TranslatorDecisions only_student(Part part) {
    const vmm::TranslatorDecisions student = student_decisions();
    vmm::TranslatorDecisions d;  // the kit's
    if (part == Part::Classify) d.classify = student.classify;
    if (part == Part::Chain) d.chain = student.chain;
    if (part == Part::Invalidate) d.invalidate = student.invalidate;
    return d;
}

}  // namespace ptv::lab::bt
