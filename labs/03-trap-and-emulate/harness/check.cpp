#include "check.hpp"

#include <fmt/format.h>

namespace ptv::lab::trap {

std::string traps_text(const std::map<std::string, uint64_t>& traps) {
    std::string s;
    for (const auto& [cause, n] : traps)
        s += fmt::format("{}{}: {}", s.empty() ? "" : ", ", cause, n);
    return s.empty() ? "none" : s;
}

void expect_equivalent(const Run& native, const Run& lab) {
    const vmm::RunResult& n = native.result;
    const vmm::RunResult& l = lab.result;
    if (!l.divergences.empty())
        throw Failure(fmt::format("the VMM reported a divergence at EIP {:#x} ({}): {}",
                                  l.divergences.front().eip, l.divergences.front().instruction,
                                  l.divergences.front().what));
    expect(native.outcome == lab.outcome, fmt::format("the run ended \"{}\" ({}), natively \"{}\"",
                                                      lab.outcome, l.message, native.outcome));
    const vmm::Equivalence e = vmm::compare_states(n, l.final_state, l.output);
    expect(e.equivalent, "not equivalent to the bare machine: " + e.first_difference);
    const vmm::CpuState& a = n.final_state.cpu;
    const vmm::CpuState& b = l.final_state.cpu;
    auto same = [](const std::string& what, uint32_t native_value, uint32_t here) {
        expect(native_value == here, fmt::format("not equivalent to the bare machine: {}: native "
                                                 "{:#x}, here {:#x}",
                                                 what, native_value, here));
    };
    same("CPL", a.cpl(), b.cpl());
    same("cs", a.seg[vmm::CS].selector, b.seg[vmm::CS].selector);
    same("ss", a.seg[vmm::SS].selector, b.seg[vmm::SS].selector);
    same("gdtr.base", a.gdtr.base, b.gdtr.base);
    same("gdtr.limit", a.gdtr.limit, b.gdtr.limit);
    same("idtr.base", a.idtr.base, b.idtr.base);
    same("idtr.limit", a.idtr.limit, b.idtr.limit);
    same("tr", a.tr.selector, b.tr.selector);
    same("tr.base", a.tr.base, b.tr.base);
    same("tr.limit", a.tr.limit, b.tr.limit);
    same("cr0", a.cr0, b.cr0);
    same("cr2", a.cr2, b.cr2);
    same("cr3", a.cr3, b.cr3);
    same("cr4", a.cr4, b.cr4);
    expect(n.instructions == l.instructions,
           fmt::format("{} guest instructions retired, natively {} (retire each emulated "
                       "instruction once)",
                       l.instructions, n.instructions));
}

void expect_traps(const std::map<std::string, uint64_t>& expected, const Run& lab) {
    const auto& got = lab.result.counters.traps;
    expect(got == expected, fmt::format("traps into the VMM: {}; expected {}", traps_text(got),
                                        traps_text(expected)));
}

void check_guest(Context& ctx, const GuestSpec& guest, const std::map<std::string, uint64_t>* exact,
                 Under under) {
    const Run native = run(guest, Under::Native);
    const Run kit = run(guest, Under::KitVmm);
    const Run lab = run(guest, under);
    // A generated guest ends on the debug-exit port (from its #GP handler
    // when it has a user program); anything else is the generator's bug.
    if (!guest.image.empty())
        expect(native.outcome == "guest-exit",
               "the generated guest ended \"" + native.outcome + "\" natively (a kit bug)");
    uint64_t total = 0;
    for (const auto& [cause, n] : lab.result.counters.traps) total += n;
    ctx.measure("traps", double(total));
    ctx.measure("instructions", double(lab.result.instructions));
    expect_equivalent(native, lab);
    expect_traps(exact ? *exact : kit.result.counters.traps, lab);
}

}  // namespace ptv::lab::trap
