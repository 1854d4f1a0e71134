#include "ptv/vmm/run.hpp"

#include <fmt/format.h>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/final_state.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/vmm/binary_translation.hpp"
#include "ptv/vmm/cost_model.hpp"
#include "ptv/vmm/vmx.hpp"
#include "ptv/vnd/trace_export.hpp"

namespace ptv::vmm {

namespace {

void write_trace(const RunOptions& o, const RunResult& r, const Technique& t,
                 const SimulatedMachine& m, trace::TraceWriter& w) {
    constexpr int kPid = 1, kVcpu = 1, kVmm = 2;
    if (o.technique == "vmx" && m.dispatcher().log()) {
        // Exits and notifications exactly as a KVM run's trace has them, on
        // the model's clock (1 µs per guest instruction, as below).
        vnd::export_trace(w, o.trace_path, m.dispatcher(), 0, o.guest.name + " (vmx model)", 0,
                          "ptv vmm (the CPU model's VMX technique)");
    } else {
        w.process_name(kPid, fmt::format("VM {} ({} model)", o.guest.name, o.technique));
        w.thread_name(kPid, kVcpu, "vCPU 0");
        w.thread_name(kPid, kVmm, "VMM");
    }
    // The model's clock: the instruction count, 1 µs of trace time each
    // (modelled cycles would suggest a precision the cost model lacks).
    for (const auto& tr : t.transitions()) {
        nlohmann::json args = {{"cause", tr.cause},
                               {"eip", fmt::format("{:#x}", tr.eip)},
                               {"instruction", tr.instruction},
                               {"guest_instructions", tr.instructions}};
        if (!tr.args.is_null()) args.update(tr.args);
        if (tr.kind == "divergence")
            w.instant(tr.category, "divergence", kPid, kVcpu, double(tr.instructions), args);
        else if (tr.category == "bt")  // the shape the visualizer's bt view reads
            w.instant(tr.category, tr.kind, kPid, kVmm, double(tr.instructions), args);
        else if (o.technique != "vmx" || tr.kind != "vmexit")
            w.complete(tr.category, tr.kind + ": " + tr.cause, kPid, kVmm, double(tr.instructions),
                       0.5, args);
    }
    w.metadata("technique", o.technique);
    w.metadata("guest", o.guest.name);
    w.metadata("instructions", r.instructions);
    w.metadata("modelled_cycles", r.cycles);
}

}  // namespace

nlohmann::json FinalState::to_json() const {
    const auto& c = cpu;
    GuestFinalState f;
    f.eax = c.gpr[EAX];
    f.ebx = c.gpr[EBX];
    f.ecx = c.gpr[ECX];
    f.edx = c.gpr[EDX];
    f.esi = c.gpr[ESI];
    f.edi = c.gpr[EDI];
    f.ebp = c.gpr[EBP];
    f.esp = c.gpr[ESP];
    f.eip = c.eip;
    f.eflags = c.eflags;
    f.cs = c.seg[CS].selector;
    f.ss = c.seg[SS].selector;
    f.ds = c.seg[DS].selector;
    f.es = c.seg[ES].selector;
    f.fs = c.seg[FS].selector;
    f.gs = c.seg[GS].selector;
    f.cr0 = c.cr0;
    f.memory_hash = memory_hash;
    f.memory_bytes = memory_bytes;
    nlohmann::json j = f.to_json();
    j["undefined_flags"] = undefined_flags;  // the model knows which bits the SDM leaves open
    return j;
}

nlohmann::json RunResult::to_json() const {
    nlohmann::json traps = counters.traps, exits = counters.exits;
    nlohmann::json div = nlohmann::json::array();
    for (const auto& d : divergences)
        div.push_back({{"eip", d.eip}, {"instruction", d.instruction}, {"what", d.what}});
    nlohmann::json j = {
        {"guest", guest},
        {"technique", technique},
        {"outcome", outcome},
        {"status", status},
        {"message", message},
        {"stop_eip", stop_eip},
        {"serial", output},
        {"screen", screen},
        {"final_state", final_state.to_json()},
        {"instructions", instructions},
        {"exceptions", exceptions},
        {"traps", traps},
        {"vm_exits", exits},
        {"device_exits", device_exits},
        {"completions", completions},
        {"hypercalls", counters.hypercalls},
        {"device_accesses", counters.device_accesses},
        {"reflected", counters.reflected},
        {"modelled_cycles", cycles},
        {"wall_ns", wall_ns},
        {"divergences", div},
        {"vmcs", details.is_object() && details.contains("binary_translation") ? nullptr : details},
        {"trace", trace}};
    if (details.is_object() && details.contains("binary_translation"))
        j["binary_translation"] = details["binary_translation"];
    if (!listing.empty()) j["listing"] = listing;
    return j;
}

RunResult run_guest(const RunOptions& o) {
    SimulatedMachine machine(o.guest);
    auto technique = make_technique(o.technique, machine);
    auto* bt = dynamic_cast<BinaryTranslation*>(technique.get());
    if ((o.listing || o.graph) && !bt)
        throw UsageError(
            "--listing, --dot, --svg and --png show the translation cache: add --technique "
            "binary-translation");
    if (o.graph) bt->keep_graph();
    std::optional<trace::TraceWriter> writer;
    if (!o.trace_path.empty()) {
        writer.emplace(trace::TraceWriter::open(o.trace_path));
        technique->keep_transitions(o.trace_capacity);
        if (o.technique == "vmx") machine.dispatcher().enable_log(o.trace_capacity);
    }
    Cpu cpu(machine.ram(), *technique);
    machine.attach(cpu);
    machine.boot(cpu.state());
    technique->start(cpu);

    const uint64_t t0 = now_ns();
    const Stop stop = technique->run(cpu, o.max_instructions);
    const uint64_t t1 = now_ns();

    RunResult r;
    r.guest = o.guest.name;
    r.technique = o.technique;
    r.outcome = std::string(outcome_name(stop.outcome));
    r.status = exit_status(stop.outcome);
    r.message = stop.detail;
    r.stop_eip = stop.eip;
    r.output = machine.output();
    r.screen = machine.screen();
    r.final_state.cpu = technique->guest_view(cpu);
    r.final_state.undefined_flags = cpu.undefined_flags();
    r.final_state.memory_hash = memory_hash(machine.ram());
    r.final_state.memory_bytes = machine.ram().size();
    r.counters = technique->counters();
    const vnd::NotificationDispatcher& d = machine.dispatcher();
    for (uint16_t target : d.targets())
        if (target != vnd::NotificationDispatcher::kVcpu && d.by_target(target).count)
            r.device_exits[d.target_name(target)] = d.by_target(target).count;
    r.completions = d.completions();
    r.instructions = cpu.counters().instructions;
    r.exceptions = cpu.counters().exceptions;
    r.cycles = r.instructions * cost::kInstruction + r.counters.cycles;
    r.wall_ns = t1 - t0;
    r.divergences = technique->divergences();
    r.details = technique->details();
    if (bt && o.listing) r.listing = bt->listing(cpu);
    if (bt && o.graph) r.graph = bt->dot();
    if (writer) {
        write_trace(o, r, *technique, machine, *writer);
        writer->finish();
        r.trace = {{"path", o.trace_path}, {"events", writer->events_written()}};
    }
    return r;
}

Equivalence compare_states(const RunResult& native, const FinalState& other,
                           const std::string& other_output) {
    Equivalence e;
    auto differ = [&](std::string what) {
        if (e.first_difference.empty()) e.first_difference = what;
        e.differences.push_back(std::move(what));
    };
    const CpuState& a = native.final_state.cpu;
    const CpuState& b = other.cpu;
    if (native.output != other_output) {
        size_t i = 0;
        while (i < native.output.size() && i < other_output.size() &&
               native.output[i] == other_output[i])
            ++i;
        const size_t line = native.output.rfind('\n', i == 0 ? 0 : i - 1);
        const size_t from = line == std::string::npos ? 0 : line + 1;
        auto line_of = [&](const std::string& s) {
            const size_t end = s.find('\n', from);
            return s.substr(from, end == std::string::npos ? std::string::npos : end - from);
        };
        differ(fmt::format("serial output from byte {}: native \"{}\", here \"{}\"", i,
                           line_of(native.output), line_of(other_output)));
    }
    const char* names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; ++i)
        if (a.gpr[i] != b.gpr[i])
            differ(fmt::format("{}: native {:#x}, here {:#x}", names[i], a.gpr[i], b.gpr[i]));
    if (a.eip != b.eip) differ(fmt::format("eip: native {:#x}, here {:#x}", a.eip, b.eip));
    const uint32_t defined = ~(native.final_state.undefined_flags | other.undefined_flags);
    if ((a.eflags & defined) != (b.eflags & defined))
        differ(fmt::format("eflags: native {:#x}, here {:#x}", a.eflags, b.eflags));
    if (native.final_state.memory_hash != other.memory_hash)
        differ(fmt::format("memory: hash native {}, here {}",
                           memory_hash_text(native.final_state.memory_hash),
                           memory_hash_text(other.memory_hash)));
    e.equivalent = e.differences.empty();
    return e;
}

}  // namespace ptv::vmm
