// ptv-vmm: the `ptv vmm` verbs (ptv executes this program for them).
#include <cstdio>

#include "../paths.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

void add_guest_options(CLI::App& cmd, VmmGuestOptions& o) {
    cmd.add_option("guest", o.guest, "guest name (see 'ptv kvm guests') or multiboot image path")
        ->required();
    cmd.add_option("--cmdline", o.cmdline, "multiboot command line (e.g. an iteration count)");
    cmd.add_option("-m,--memory", o.memory_mib, "guest memory in MiB")->capture_default_str();
    cmd.add_option("--max-instructions", o.max_instructions,
                   "stop a runaway guest after this many instructions")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd.add_flag("--json", o.json, "print the result as JSON");
}

vmm::RunOptions run_options(const VmmGuestOptions& o, const std::string& technique) {
    vmm::RunOptions r;
    r.guest.image_path = resolve_guest(o.guest);
    r.guest.name =
        o.guest.find('/') == std::string::npos ? o.guest : o.guest.substr(o.guest.rfind('/') + 1);
    r.guest.cmdline = o.cmdline;
    r.guest.memory_mib = o.memory_mib;
    r.technique = technique;
    r.max_instructions = o.max_instructions;
    return r;
}

}  // namespace ptv::cli

int main(int argc, char** argv) {
    CLI::App app{
        "ptv vmm: an x86 CPU model under native execution, trap-and-emulate, a VMX "
        "model, paravirtualization and binary translation",
        "ptv vmm"};
    app.require_subcommand(1);
    ptv::cli::Commands commands;
    for (auto add : {ptv::cli::vmm_run_commands, ptv::cli::vmm_compare_commands,
                     ptv::cli::vmm_explain_commands, ptv::cli::vmm_vmcs_commands,
                     ptv::cli::vmm_microbench_commands, ptv::cli::vmm_problem_commands}) {
        auto more = add(app);
        commands.insert(commands.end(), more.begin(), more.end());
    }
    ptv::cli::parse_or_exit(app, argc, argv, "ptv vmm");
    try {
        for (auto& [cmd, runner] : commands)
            if (cmd->parsed()) return runner();
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "ptv vmm: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptv vmm: internal error: %s\n", e.what());
        return 70;
    }
    return 0;
}
