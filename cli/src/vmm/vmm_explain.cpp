// `ptv vmm explain popf`: the lecture's demonstration that classic x86 is
// not virtualizable by trap-and-emulate (Popek & Goldberg 1974; Robin &
// Irvine 2000), shown on the popf guest under each technique.
#include <fmt/format.h>

#include <iostream>

#include "kvm_reference.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

namespace {

void indent(const std::string& text) {
    size_t from = 0;
    while (from < text.size()) {
        size_t end = text.find('\n', from);
        if (end == std::string::npos) end = text.size();
        std::printf("    | %s\n", text.substr(from, end - from).c_str());
        from = end + 1;
    }
}

int explain_popf(const VmmGuestOptions& g, bool no_kvm) {
    std::printf(
        "Popek & Goldberg (1974): a machine can be virtualized by trap-and-emulate if every\n"
        "sensitive instruction (one that reads or changes the machine's control state) is\n"
        "privileged, i.e. traps when run outside ring 0. The VMM then runs the guest kernel\n"
        "deprivileged, catches every trap and emulates the instruction on a virtual CPU.\n\n"
        "Classic x86 breaks the rule (Robin & Irvine 2000): PUSHF, POPF, SGDT, SIDT, SMSW,\n"
        "MOV from CS and others are sensitive but do not trap in ring 3. The guest below runs\n"
        "`cli`, reads the flags back with `pushf`, tries to clear IF with `popf`, and looks at\n"
        "its CPL (CS.RPL), its GDT (sgdt) and CR0 (smsw).\n\n");
    vmm::RunResult native;
    for (const std::string t : {"native", "trap-emulate", "binary-translation", "vmx"}) {
        const vmm::RunResult r = vmm::run_guest(run_options(g, t));
        if (t == "native") native = r;
        std::printf("== %s: %s\n", t.c_str(), outcome_line(r).c_str());
        indent(r.output);
        if (t == "trap-emulate") {
            std::printf(
                "    The kernel runs in ring 3. `cli` is privileged there: it trapped (%zu "
                "trap(s) in all)\n    and the VMM cleared the virtual IF. But nothing "
                "trapped on these:\n",
                size_t([&] {
                    uint64_t n = 0;
                    for (auto& [c, k] : r.counters.traps) n += k;
                    return n;
                }()));
            for (const auto& d : r.divergences)
                std::printf("    - EIP %#x %s: %s\n", d.eip, d.instruction.c_str(), d.what.c_str());
        }
        const auto eq = vmm::compare_states(native, r.final_state, r.output);
        if (t != "native")
            std::printf("    equivalent to native: %s\n",
                        eq.equivalent ? "yes" : ("NO: " + eq.first_difference).c_str());
        if (t == "binary-translation" && r.details.is_object()) {
            std::string callouts;
            for (const auto& [m, n] : r.details["binary_translation"]["callouts"].items())
                callouts += fmt::format("{}{} {}", callouts.empty() ? "" : ", ", n.get<uint64_t>(),
                                        m);
            std::printf(
                "    The translator rewrote the kernel's code before it ran: pushf, popf and "
                "cli became\n    callouts into the VMM, which used the virtual CPU (%s),\n    "
                "and the reads of CS, GDTR and CR0 inline reads of the virtual CPU.\n",
                callouts.c_str());
        }
        if (t == "vmx")
            std::printf(
                "    In VMX non-root operation the kernel keeps ring 0: every instruction "
                "behaves as on\n    the bare machine, and only what the VMCS asks for "
                "(I/O, HLT) leaves the guest as a VM exit.\n");
        std::printf("\n");
    }
    if (!no_kvm) {
        const KvmReference kvm = run_on_kvm(run_options(g, "native"));
        if (!kvm.available) {
            std::printf("== kvm: %s\n", kvm.why_not.c_str());
        } else {
            std::printf("== kvm (the real hypervisor, ptv-vmwp): %s\n",
                        kvm.result.value("outcome", "?").c_str());
            indent(kvm.result.value("serial", ""));
            if (kvm.final_state) {
                const auto eq =
                    vmm::compare_states(native, *kvm.final_state, kvm.result.value("serial", ""));
                std::printf("    equivalent to the model's native run: %s\n",
                            eq.equivalent ? "yes" : ("NO: " + eq.first_difference).c_str());
            }
        }
    }
    std::printf(
        "\nSo: trap-and-emulate alone cannot virtualize classic x86. VMware answered with binary\n"
        "translation (rewrite the sensitive instructions), Xen with paravirtualization (change\n"
        "the guest), and Intel and AMD with VT-x/AMD-V (a root mode, so the guest keeps ring "
        "0).\n");
    return 0;
}

}  // namespace

Commands vmm_explain_commands(CLI::App& vmm) {
    struct Options {
        std::string topic;
        VmmGuestOptions guest;
        bool no_kvm = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand("explain", "a guided demonstration (topics: popf)");
    cmd->add_option("topic", o->topic, "popf")->required()->check(CLI::IsMember({"popf"}));
    cmd->add_option("--guest", o->guest.guest, "the demonstration guest")
        ->capture_default_str()
        ->default_val("popf");
    cmd->add_flag("--no-kvm", o->no_kvm, "leave out the real KVM run");
    return {{cmd, [o] { return explain_popf(o->guest, o->no_kvm); }}};
}

}  // namespace ptv::cli
