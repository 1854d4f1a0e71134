// `ptv vmm run GUEST --technique T`: one guest on the CPU model under one
// technique: its serial output, then the counter table.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

std::string outcome_line(const vmm::RunResult& r) {
    return fmt::format("{} under {}: {} at EIP {:#x}{}", r.guest, r.technique, r.outcome,
                       r.stop_eip, r.message.empty() ? "" : " (" + r.message + ")");
}

std::string counter_table(const vmm::RunResult& r) {
    Table t({"counter", "value", "detail"});
    t.right_align({1});
    t.row({"instructions executed", thousands(r.instructions), ""});
    uint64_t traps = 0;
    for (const auto& [cause, n] : r.counters.traps) traps += n;
    t.row({"traps into the VMM", thousands(traps),
           r.counters.reflected ? fmt::format("{} reflected to the guest", r.counters.reflected)
                                : ""});
    for (const auto& [cause, n] : r.counters.traps) t.row({"  " + cause, thousands(n), ""});
    uint64_t exits = 0;
    for (const auto& [reason, n] : r.counters.exits) exits += n;
    t.row({"VM exits", thousands(exits), ""});
    for (const auto& [reason, n] : r.counters.exits) t.row({"  " + reason, thousands(n), ""});
    t.row({"hypercalls", thousands(r.counters.hypercalls), ""});
    t.row({"device accesses", thousands(r.counters.device_accesses), ""});
    t.row({"exceptions and INT n (processor)", thousands(r.exceptions), ""});
    t.row({"sensitive-instruction divergences", thousands(r.divergences.size()),
           r.divergences.empty() ? "" : fmt::format("first at EIP {:#x}", r.divergences[0].eip)});
    t.rule();
    t.row({"modelled cycles", thousands(r.cycles), "sim/vmm/techniques/.../cost_model.hpp"});
    t.row({"wall time", human_ns(double(r.wall_ns)),
           r.wall_ns ? fmt::format("{:.1f} M instructions/s",
                                   double(r.instructions) * 1e3 / double(r.wall_ns))
                     : ""});
    return t.render();
}

Commands vmm_run_commands(CLI::App& vmm) {
    struct Options {
        VmmGuestOptions guest;
        std::string technique = "native";
        std::string trace;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand("run", "run a guest on the CPU model under one technique");
    add_guest_options(*cmd, o->guest);
    cmd->add_option("-t,--technique", o->technique, "native, trap-emulate, vmx or paravirt")
        ->capture_default_str();
    cmd->add_option("--trace", o->trace, "write a Chrome trace (Perfetto) to FILE");
    return {{cmd, [o] {
                 vmm::RunOptions ro = run_options(o->guest, o->technique);
                 ro.trace_path = o->trace;
                 ro.guest.echo = !o->guest.json;
                 const vmm::RunResult r = vmm::run_guest(ro);
                 if (o->guest.json) {
                     std::cout << r.to_json().dump(2) << "\n";
                     return r.status;
                 }
                 if (!r.output.empty() && r.output.back() != '\n') std::printf("\n");
                 std::printf("%s\n%s", outcome_line(r).c_str(), counter_table(r).c_str());
                 for (size_t i = 0; i < r.divergences.size() && i < 5; ++i)
                     std::printf("divergence at EIP %#x (%s): %s\n", r.divergences[i].eip,
                                 r.divergences[i].instruction.c_str(),
                                 r.divergences[i].what.c_str());
                 return r.status;
             }}};
}

}  // namespace ptv::cli
