// `ptv vmm run GUEST --technique T`: one guest on the CPU model under one
// technique: its serial output, then the counter table.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "ptv/common/format.hpp"
#include "ptv/common/graphviz.hpp"
#include "ptv/common/table.hpp"
#include "ptv/devices/key_script.hpp"
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
    if (r.details.is_object() && r.details.contains("binary_translation")) {
        const auto& b = r.details["binary_translation"];
        auto n = [&](const char* k) { return thousands(b.value(k, uint64_t(0))); };
        t.row({"translation units", n("units"),
               fmt::format("{} translations of {} guest instructions", n("translations"),
                           n("translated_instructions"))});
        t.row({"  identity / inline executed",
               n("identity_executed") + " / " + n("inline_executed"), ""});
        t.row({"  direct execution (CPL 3)", n("direct_execution"), ""});
        t.row({"translation-cache lookups", n("lookups"),
               fmt::format("{} hits, {} misses", n("tc_hits"), n("tc_misses"))});
        t.row({"  indirect transfers", n("indirect"), "jumps through registers, returns"});
        t.row({"chained transfers", n("chained"), "direct jumps patched to their target"});
        t.row({"retranslations", n("retranslations"),
               fmt::format("{} writes into code lines", n("invalidations"))});
        uint64_t callouts = 0;
        for (const auto& [k, v] : b["callouts"].items()) callouts += v.get<uint64_t>();
        t.row({"callouts into the VMM", thousands(callouts), ""});
        for (const auto& [k, v] : b["callouts"].items())
            t.row({"  " + k, thousands(v.get<uint64_t>()), ""});
    }
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
        bool listing = false;
        bool screen = false;
        std::string keys;
        graphviz::Paths drawing;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand("run", "run a guest on the CPU model under one technique");
    add_guest_options(*cmd, o->guest);
    cmd->add_option("-t,--technique", o->technique,
                    "native, trap-emulate, vmx, paravirt or binary-translation (bt)")
        ->capture_default_str();
    cmd->add_option("--trace", o->trace, "write a Chrome trace (Perfetto) to FILE");
    cmd->add_option("--keys", o->keys,
                    "press keys on the i8042 keyboard at model times, e.g. \"500ms:space "
                    "1.2s:left 3s:esc\"");
    cmd->add_flag("--listing", o->listing,
                  "binary translation: print each guest unit beside its translation");
    cmd->add_flag("--screen", o->screen,
                  "print the VGA text screen as the guest left it (its 25 lines of text)");
    graphviz::add_options(*cmd, o->drawing, "binary translation's translation cache");
    return {{cmd, [o] {
                 vmm::RunOptions ro = run_options(o->guest, o->technique);
                 ro.trace_path = o->trace;
                 ro.listing = o->listing;
                 ro.graph = o->drawing.any();
                 ro.guest.echo = !o->guest.json;
                 ro.guest.keys = devices::parse_key_script(o->keys);
                 // Before the run: a bad path or a missing dot fails at once.
                 graphviz::Drawing drawing(o->drawing);
                 const vmm::RunResult r = vmm::run_guest(ro);
                 if (drawing.wanted()) drawing.write(r.graph);
                 if (o->guest.json) {
                     std::cout << r.to_json().dump(2) << "\n";
                     return r.status;
                 }
                 if (!r.output.empty() && r.output.back() != '\n') std::printf("\n");
                 std::printf("%s\n%s", outcome_line(r).c_str(), counter_table(r).c_str());
                 if (!r.listing.empty()) std::printf("\n%s", r.listing.c_str());
                 if (o->screen) {
                     std::printf("\nVGA text screen at the end:\n");
                     for (const std::string& line : r.screen) std::printf("|%s\n", line.c_str());
                 }
                 for (size_t i = 0; i < r.divergences.size() && i < 5; ++i)
                     std::printf("divergence at EIP %#x (%s): %s\n", r.divergences[i].eip,
                                 r.divergences[i].instruction.c_str(),
                                 r.divergences[i].what.c_str());
                 return r.status;
             }}};
}

}  // namespace ptv::cli
