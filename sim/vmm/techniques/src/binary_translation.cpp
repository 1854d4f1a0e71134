// Binary translation: the translator, lookup() and chaining as the run loop
// uses the translation cache (translation_cache.cpp), and the run loop that
// executes translated units (see binary_translation.hpp). The listing and
// the Graphviz graph are in translation_listing.cpp.
#include "ptv/vmm/binary_translation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

Translation classify(const DecodedInstruction& in) {
    const auto m = ZydisMnemonic(in.mnemonic);
    if (in.sensitive) {
        switch (m) {
            // Reads of state the VMM virtualises: inline code reads the
            // virtual CPU instead (the guest must see CPL 0, its own GDTR).
            case ZYDIS_MNEMONIC_SGDT:
            case ZYDIS_MNEMONIC_SIDT:
            case ZYDIS_MNEMONIC_SLDT:
            case ZYDIS_MNEMONIC_STR:
            case ZYDIS_MNEMONIC_SMSW:
            case ZYDIS_MNEMONIC_LAR:
            case ZYDIS_MNEMONIC_LSL:
            case ZYDIS_MNEMONIC_VERR:
            case ZYDIS_MNEMONIC_VERW:
                return Translation::Inline;
            case ZYDIS_MNEMONIC_PUSH:  // PUSH sreg
                return Translation::Inline;
            case ZYDIS_MNEMONIC_MOV:  // MOV r/m, sreg reads; MOV sreg, r/m loads
                return in.op[0].kind == Operand::Kind::Reg &&
                               in.op[0].reg_class == Operand::RegClass::Sreg
                           ? Translation::Callout
                           : Translation::Inline;
            default:  // PUSHF, POPF, POP sreg, INT n, IRET, far transfers
                return Translation::Callout;
        }
    }
    // Privileged, I/O, CLI/STI, CPUID, SYSENTER/SYSEXIT; far transfers.
    if (in.system || in.far) return Translation::Callout;
    // Near control transfers: rewritten to stay inside the TC.
    if (in.ends_block) return Translation::Inline;
    return Translation::Identity;
}

void chain_known_successor(TranslationUnit& from, UnitExit exit, TranslationUnit& to) {
    if (!exit.indirect && from.has_successor[exit.slot] && from.successor[exit.slot] == to.eip)
        TranslationCache::chain(from, exit.slot, to);
}

namespace {

// What the translator can emit for `how`, or why not: an instruction that
// needs the VMM has no inline translation, and a control transfer copied
// unchanged would leave the translation cache.
void check_translation(const Cpu& cpu, const DecodedInstruction& insn, uint32_t eip,
                       Translation how) {
    const bool needs_vmm = insn.system || insn.far;
    const auto m = ZydisMnemonic(insn.mnemonic);
    bool sensitive_read = insn.sensitive && !insn.far;
    switch (m) {
        case ZYDIS_MNEMONIC_PUSHF:
        case ZYDIS_MNEMONIC_PUSHFD:
        case ZYDIS_MNEMONIC_POPF:
        case ZYDIS_MNEMONIC_POPFD:
        case ZYDIS_MNEMONIC_POP:
        case ZYDIS_MNEMONIC_INT:
        case ZYDIS_MNEMONIC_INT3:
        case ZYDIS_MNEMONIC_IRET:
        case ZYDIS_MNEMONIC_IRETD:
            sensitive_read = false;
            break;
        case ZYDIS_MNEMONIC_MOV:  // MOV sreg, r/m loads a segment
            sensitive_read = sensitive_read && !(insn.op[0].kind == Operand::Kind::Reg &&
                                                 insn.op[0].reg_class == Operand::RegClass::Sreg);
            break;
        default:
            break;
    }
    auto refuse = [&](const char* why) {
        throw std::logic_error(fmt::format("binary translation of {} at {:#x}: {}",
                                           cpu.decoder().disassemble(insn.bytes, eip), eip, why));
    };
    if (how == Translation::Identity && insn.ends_block && !needs_vmm)
        refuse("a control transfer copied unchanged would leave the translation cache (inline)");
    if (how == Translation::Inline && needs_vmm && !sensitive_read)
        refuse("it changes state the VMM owns: no inline translation can do that (callout)");
}

}  // namespace

nlohmann::json TranslationCounters::to_json() const {
    return {{"translations", translations},
            {"translated_instructions", translated_instructions},
            {"retranslations", retranslations},
            {"invalidations", invalidations},
            {"tc_hits", tc_hits},
            {"tc_misses", tc_misses},
            {"chained", chained},
            {"lookups", lookups},
            {"indirect", indirect},
            {"direct_execution", direct_execution},
            {"units_invalidated", units_invalidated},
            {"identity_executed", identity_executed},
            {"inline_executed", inline_executed},
            {"callouts", callouts}};
}

void BinaryTranslation::start(Cpu& cpu) {
    Technique::start(cpu);
    // The VMM runs the callouts itself; nothing to intercept or watch.
    wants_intercepts = false;
    watch_sensitive = false;
}

bool BinaryTranslation::on_event(Cpu& cpu, const Event& e) {
    // Guest exceptions and INT n reach the VMM (its own IDT) and are
    // reflected to the guest's handler, as under trap-and-emulate.
    ++counters_.reflected;
    counters_.cycles += cost::kReflect;
    if (tracing())
        note({"reflect", fmt::format("vector {}", e.vector), e.eip, "", cpu.counters().instructions,
              nullptr, "bt"});
    return false;  // the CPU delivers it through the guest's IDT
}

nlohmann::json BinaryTranslation::details() const {
    nlohmann::json j = bt_.to_json();
    j["units"] = cache_.size();
    return {{"binary_translation", j}};
}

// A unit's completed executions, counted into the totals (before it is
// translated again, and at the end of the run).
void BinaryTranslation::fold(TranslationUnit& tu) {
    const uint64_t n = tu.completed - tu.folded;
    bt_.identity_executed += n * tu.identity_count;
    bt_.inline_executed += n * tu.inline_count;
    counters_.cycles += cost::kInlineTranslation * tu.inline_count * n;
    tu.folded = tu.completed;
}

void BinaryTranslation::translate(Cpu& cpu, TranslationUnit& tu) {
    fold(tu);
    tu.guest.clear();
    tu.code.clear();
    tu.how.clear();
    tu.guest.reserve(kMaxUnitInstructions);  // ops point into it: no reallocation
    tu.callout = false;
    tu.deprivileged = false;
    tu.invalid = false;
    tu.inline_count = 0;
    tu.has_successor = {};
    tu.chain = {};
    tu.link = {};
    const uint32_t base = cpu.state().seg[CS].base;
    const uint32_t first_line = DecodeCache::line_of(tu.linear);
    std::vector<uint32_t> eips;
    uint32_t eip = tu.eip;
    for (;;) {
        const DecodedInstruction* insn = cpu.fetch(eip);
        if (!insn) {
            // Not an instruction: the VMM runs it, and the processor raises #UD.
            if (tu.guest.empty()) tu.callout = true;
            break;
        }
        const Translation how = decisions_.classify(*insn);
        check_translation(cpu, *insn, eip, how);
        // A sensitive or privileged instruction translated identically runs
        // on its own, as the deprivileged processor runs it.
        const bool own_unit = how == Translation::Callout ||
                              (how == Translation::Identity && (insn->system || insn->far));
        const uint32_t last_line = DecodeCache::line_of(base + eip + insn->length - 1);
        // A unit spans at most two code lines (its staleness is two checks),
        // and a callout is a unit of its own: end before either.
        if (!tu.guest.empty() && (own_unit || last_line > first_line + 1)) {
            tu.has_successor[1] = true, tu.successor[1] = eip;
            break;
        }
        tu.guest.push_back(*insn);
        tu.how.push_back(how);
        eips.push_back(eip);
        eip += insn->length;
        if (own_unit) {
            tu.callout = true;
            tu.deprivileged = how == Translation::Identity;
            if (!insn->ends_block) tu.has_successor[1] = true, tu.successor[1] = eip;
            break;
        }
        if (how == Translation::Inline) ++tu.inline_count;
        if (insn->ends_block) break;
        if (tu.guest.size() == kMaxUnitInstructions) {
            tu.has_successor[1] = true, tu.successor[1] = eip;
            break;
        }
    }
    for (size_t i = 0; i < tu.guest.size(); ++i) tu.code.push_back(lower(tu.guest[i], eips[i]));
    tu.count = tu.callout ? 0 : uint32_t(tu.code.size());
    tu.code.push_back(end_of_block());
    tu.ops = tu.code.data();
    if (!tu.guest.empty() && tu.code[tu.guest.size() - 1].terminator && !tu.callout) {
        const MicroOp& last = tu.code[tu.guest.size() - 1];
        const auto m = ZydisMnemonic(last.insn->mnemonic);
        const bool direct = last.target != last.next;  // JMP/Jcc/CALL rel, LOOP, JECXZ
        if (direct) tu.has_successor[0] = true, tu.successor[0] = last.target;
        // The fall-through of a conditional transfer (not of JMP, CALL or RET).
        if (direct && m != ZYDIS_MNEMONIC_JMP && m != ZYDIS_MNEMONIC_CALL)
            tu.has_successor[1] = true, tu.successor[1] = last.next;
    }
    tu.bytes = eip - tu.eip;
    tu.identity_count =
        uint32_t(tu.guest.size()) - tu.inline_count - (tu.callout && !tu.guest.empty() ? 1 : 0);
    if (tu.callout) {
        tu.callout_name = tu.guest.empty()
                              ? "(invalid)"
                              : ZydisMnemonicGetString(ZydisMnemonic(tu.guest[0].mnemonic));
    }
    TranslationCache::watch(cpu, tu);  // stale from the guest's next write into it
    if (decisions_.invalidate)
        cpu.watch_code(tu.linear, tu.linear + std::max<uint32_t>(tu.bytes, 1) - 1);

    ++bt_.translations;
    bt_.translated_instructions += tu.guest.size();
    counters_.cycles += cost::kTranslateInstruction * std::max<size_t>(tu.guest.size(), 1);
    if (tracing())
        note({"translate",
              fmt::format("unit of {} instructions", tu.guest.size()),
              tu.eip,
              tu.guest.empty() ? "" : cpu.decoder().disassemble(tu.guest[0].bytes, tu.eip),
              cpu.counters().instructions,
              {{"block", fmt::format("{:#x}", tu.eip)},
               {"size", tu.guest.size()},
               {"instructions", tu.guest.size()},
               {"bytes", tu.bytes},
               {"version", tu.version},
               {"callout", tu.callout}},
              "bt"});
}

void BinaryTranslation::note_hit(const Cpu& cpu, const TranslationUnit& tu) {
    note({"cache-hit",
          "lookup() found the unit",
          tu.eip,
          "",
          cpu.counters().instructions,
          {{"block", fmt::format("{:#x}", tu.eip)}},
          "bt"});
}

TranslationUnit* BinaryTranslation::lookup(Cpu& cpu, uint64_t key) {
    ++bt_.lookups;
    counters_.cycles += cost::kTcLookup;
    if (TranslationUnit* hit = cache_.find(key)) {
        ++bt_.tc_hits;
        if (tracing()) note_hit(cpu, *hit);
        return hit;
    }
    ++bt_.tc_misses;
    TranslationUnit& tu = cache_.insert(key, cpu.state().eip);
    translate(cpu, tu);
    return &tu;
}

// The instructions of a unit left early (its completed runs are counted
// by the CPU and folded in later).
void BinaryTranslation::account(TranslationUnit& tu, const BlockExit& exit) {
    for (uint32_t i = 0; i < exit.completed; ++i) {
        const bool inl = tu.how[i] == Translation::Inline;
        ++(inl ? bt_.inline_executed : bt_.identity_executed);
        if (inl) counters_.cycles += cost::kInlineTranslation;
    }
}

Stop BinaryTranslation::run(Cpu& cpu, uint64_t budget) {
    // As Cpu::run, the budget counts steps: instructions and deliveries.
    uint64_t steps = 0;
    TranslationUnit* from = nullptr;  // the unit just left through an exit
    uint8_t via = 0;
    bool via_indirect = false;  // ... computed at run time
    const CpuState& s = cpu.state();
    while (!cpu.stopped()) {
        if (budget && steps >= budget) {
            cpu.request_stop(fmt::format("instruction budget of {} exhausted", budget),
                             Outcome::InstructionBudget);
            break;
        }
        cpu.poll_timer();
        // A write into code: the units it invalidates (the replacement's
        // own invalidation; the kit's checks line generations on entry).
        if (decisions_.invalidate && cpu.decode_cache_invalidations() != writes_seen_) {
            writes_seen_ = cpu.decode_cache_invalidations();
            if (const auto w = cpu.take_code_written())
                decisions_.invalidate(cache_, w->first, w->second);
        }
        // Interrupts are taken between units; user code runs directly; 16-
        // bit code (never the guest kernel's here) is interpreted.
        if (cpu.interrupt_deliverable() || s.cpl() == 3 || !s.seg[CS].db) {
            if (s.cpl() == 3) ++bt_.direct_execution;
            cpu.step();
            ++steps;
            from = nullptr;
            continue;
        }
        // Into the translation cache: through a link made earlier (to or
        // from a callout), or through lookup(), which then links the unit
        // left to this one (chaining) when it was a direct successor.
        const uint32_t linear = s.seg[CS].base + s.eip;
        TranslationUnit* tu = from ? TranslationCache::follow(*from, via, linear) : nullptr;
        if (!tu) {
            tu = lookup(cpu, linear | uint64_t(1) << 32);
            const TranslationUnit* linked = from ? from->link[via] : nullptr;
            if (from) decisions_.chain(*from, UnitExit{via, via_indirect}, *tu);
            if (from && from->link[via] == tu && linked != tu) {
                if (tracing())
                    note({"chain",
                          fmt::format("{:#x} -> {:#x}", from->eip, tu->eip),
                          from->eip,
                          "",
                          cpu.counters().instructions,
                          {{"from", fmt::format("{:#x}", from->eip)},
                           {"to", fmt::format("{:#x}", tu->eip)}},
                          "bt"});
            } else if (keep_graph_ && (!from || via_indirect) && last_ && last_indirect_) {
                ++indirect_edges_[{last_, tu}];
            }
        }
        const bool stale = decisions_.invalidate ? tu->invalid : TranslationCache::stale(cpu, *tu);
        if (!stale && decisions_.invalidate) tu->checked_at = cpu.decode_cache_invalidations();
        if (stale) {
            // The guest wrote into this code since it was translated.
            ++bt_.retranslations;
            ++tu->version;
            if (tracing())
                note({"invalidate",
                      "code written",
                      tu->eip,
                      "",
                      cpu.counters().instructions,
                      {{"unit", fmt::format("{:#x}", tu->eip)}},
                      "bt"});
            translate(cpu, *tu);
        }
        // Returns and indirect jumps to it can now stay in translated code
        // (not when drawing the graph or tracing, which record every lookup).
        if (!tu->callout && !keep_graph_ && !tracing()) cpu.remember_block(linear, tu);
        last_indirect_ = false;
        if (tu->deprivileged) {
            // Copied unchanged: the real processor runs it, deprivileged.
            ++tu->executions;
            ++bt_.identity_executed;
            run_deprivileged(cpu, tu->guest[0]);
            ++steps;
            from = tu->has_successor[1] && s.eip == tu->successor[1] ? tu : nullptr;
            via = 1, via_indirect = false;
            last_ = tu;
            continue;
        }
        if (tu->callout) {
            // The VMM emulates the instruction on the virtual CPU.
            ++tu->executions;
            ++bt_.callouts[tu->callout_name];
            counters_.cycles += cost::kCallout;
            if (tracing())
                note({"callout",
                      tu->callout_name,
                      tu->eip,
                      tu->guest.empty() ? ""
                                        : cpu.decoder().disassemble(tu->guest[0].bytes, tu->eip),
                      cpu.counters().instructions,
                      {{"block", fmt::format("{:#x}", tu->eip)}, {"callout", tu->callout_name}},
                      "bt"});
            cpu.step();
            ++steps;
            from = tu->has_successor[1] && s.eip == tu->successor[1] ? tu : nullptr;
            via = 1, via_indirect = false;
            last_ = tu;
            last_indirect_ = from == nullptr;
            continue;
        }
        if (budget && steps + tu->count > budget) {
            cpu.step();  // the last few instructions of the budget, one by one
            ++steps;
            from = nullptr;
            continue;
        }
        // The CPU runs the unit and the units chained after it.
        TranslatedBlock* block = tu;
        const BlockExit exit = cpu.run_chained(block, budget ? budget - steps : 0);
        tu = static_cast<TranslationUnit*>(block);
        steps += exit.total;
        last_ = tu;
        switch (exit.kind) {
            case BlockExit::Kind::Successor:
                from = tu;
                via = exit.successor, via_indirect = false;
                break;
            case BlockExit::Kind::Indirect:
                ++bt_.indirect;
                from = tu;
                via = 0, via_indirect = true;
                last_indirect_ = true;
                break;
            case BlockExit::Kind::Break:
                account(*tu, exit);
                if (exit.faulted) ++steps;  // the delivery, as Cpu::run counts it
                from = nullptr;
                break;
        }
    }
    bt_.invalidations = cpu.decode_cache_invalidations();
    bt_.units_invalidated = cache_.invalidated();
    // Indirect transfers the CPU resolved itself were lookups that hit.
    const uint64_t inside = cpu.indirect_hits() - indirect_hits_seen_;
    indirect_hits_seen_ = cpu.indirect_hits();
    bt_.lookups += inside;
    bt_.tc_hits += inside;
    bt_.indirect += inside;
    counters_.cycles += cost::kTcLookup * inside;
    bt_.chained = 0;
    cache_.for_each([&](TranslationUnit& tu) {
        fold(tu);
        bt_.chained += tu.chained[0] + tu.chained[1];
    });
    return cpu.take_stop();
}

}  // namespace ptv::vmm
