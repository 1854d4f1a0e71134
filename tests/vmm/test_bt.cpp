// Binary translation (sim/vmm/techniques/binary_translation.*): exact
// counts of translations, lookups, chains and callouts on guests whose
// every instruction is known, self-modifying code, computed jumps, the
// instruction budget, the listing, the graph, the trace and `ptv vmm
// microbench`. (Equivalence with native on every guest is in
// test_differential.cpp: binary translation is one of the techniques.)
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include <Zydis/Zydis.h>

#include "drawing.hpp"
#include "guests.hpp"
#include "images.hpp"
#include "process.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/vmm/binary_translation.hpp"
#include "ptv/vmm/machine.hpp"

using namespace ptv;

namespace {

const nlohmann::json& bt_of(const vmm::RunResult& r) {
    static const nlohmann::json none;
    return r.details.is_object() ? r.details["binary_translation"] : none;
}

test::Completed ptv_vmm(std::vector<std::string> args) {
    args.insert(args.begin(), {test::bin("ptv"), "vmm"});
    return test::run(args, {}, 120);
}

}  // namespace

TEST_CASE("binary translation of hello: exact translations, lookups, chains and callouts") {
    const auto r = test::run_model("hello", "binary-translation");
    REQUIRE(r.outcome == "halted");
    CHECK(r.instructions == 473);  // as native
    const auto& b = bt_of(r);
    CHECK(b["units"] == 30);
    CHECK(b["translations"] == 30);
    CHECK(b["translated_instructions"] == 57);
    CHECK(b["tc_misses"] == 30);
    CHECK(b["tc_hits"] == 27);
    CHECK(b["lookups"] == 57);
    CHECK(b["indirect"] == 29);  // the returns of uart_putc and uart_puts
    CHECK(b["chained"] == 207);
    CHECK(b["retranslations"] == 0);
    // Every instruction is identity, inline or a callout, exactly once.
    CHECK(b["identity_executed"] == 270);
    CHECK(b["inline_executed"] == 140);
    CHECK(b["callouts"] == nlohmann::json{{"cli", 1}, {"hlt", 1}, {"in", 27}, {"out", 34}});
    CHECK(270 + 140 + 63 == r.instructions);
    // 61 device accesses, as every technique: each IN and OUT reaches the UART.
    CHECK(r.counters.device_accesses == 61);
    CHECK(r.counters.traps.empty());
    CHECK(r.divergences.empty());
}

TEST_CASE("binary translation notices self-modifying code and translates it again") {
    const auto native = test::run_model("smc", "native");
    const auto r = test::run_model("smc", "binary-translation");
    REQUIRE(r.outcome == "halted");
    CHECK(r.output == native.output);
    CHECK(r.output.find("smc: sum 5050 (expected 5050)") != std::string::npos);
    CHECK(r.output.find("smc: patched routine 1 then 0") != std::string::npos);
    CHECK(r.output.find("smc: generated code 7 then 9") != std::string::npos);
    CHECK(r.output.find("smc: patched routine called 4 times") != std::string::npos);
    CHECK(r.final_state.cpu.gpr[vmm::EAX] == 5071);
    CHECK(vmm::compare_states(native, r.final_state, r.output).equivalent);
    const auto& b = bt_of(r);
    CHECK(b["retranslations"] == 214);
    CHECK(b["invalidations"] == 103);
    CHECK(b["translations"] == 287);
    // The boot's cli is not one of them: `flip` starts with a cli after its
    // patch and runs twice more, once through a chain made before the patch
    // (the CPU must hand the unit, now a callout, back to the translator).
    CHECK(b["callouts"]["cli"] == 3);
}

TEST_CASE("binary translation finds computed jump targets and returns through lookup") {
    const auto native = test::run_model("jumptable", "native");
    const auto r = test::run_model("jumptable", "binary-translation");
    REQUIRE(r.outcome == "halted");
    CHECK(r.final_state.cpu.gpr[vmm::EAX] == 2242300);
    CHECK(vmm::compare_states(native, r.final_state, r.output).equivalent);
    const auto& b = bt_of(r);
    CHECK(b["indirect"] == 1309);  // 1000 switch jumps, 201 + 108 returns
    CHECK(b["lookups"] == 1370);
    CHECK(b["tc_misses"] == 64);
    CHECK(b["retranslations"] == 0);
}

TEST_CASE("binary translation stops at the instruction budget where the interpreter does") {
    for (uint64_t budget : {1u, 1000u, 12345u, 100001u}) {
        CAPTURE(budget);
        const auto native = test::run_model("compute", "native", "100000", budget);
        const auto r = test::run_model("compute", "binary-translation", "100000", budget);
        CHECK(native.outcome == "instruction-budget");
        CHECK(r.outcome == "instruction-budget");
        CHECK(r.instructions == native.instructions);
        CHECK(r.stop_eip == native.stop_eip);
        CHECK(vmm::compare_states(native, r.final_state, r.output).equivalent);
    }
}

TEST_CASE("ptv vmm run --listing and --dot show the translation cache") {
    test::TempDir dir;
    const std::string dot = dir.path + "/tc.dot";
    const auto r = ptv_vmm({"run", "hello", "-t", "binary-translation", "--listing", "--dot", dot});
    CHECK(r.status == 0);
    CHECK(r.out.find("Translation cache: 30 units, 57 guest instructions") != std::string::npos);
    CHECK(r.out.find("call HANDLE_OUT") != std::string::npos);
    CHECK(r.out.find("call HANDLE_CLI") != std::string::npos);
    CHECK(r.out.find("pop tmp; jmp lookup(tmp)") != std::string::npos);
    // The guest instruction beside its (identity) translation.
    CHECK(r.out.find("0x0010002a  mov esi, 0x100038                =  fast   mov esi, 0x100038") !=
          std::string::npos);
    CHECK(r.out.find("=  fast") != std::string::npos);
    CHECK(r.out.find("~  fast") != std::string::npos);
    CHECK(r.out.find("!  vmm") != std::string::npos);
    std::ifstream in(dot);
    const std::string graph{std::istreambuf_iterator<char>(in), {}};
    CHECK(graph.rfind("digraph translation_cache {", 0) == 0);
    CHECK(graph.find("callout: out") != std::string::npos);
    CHECK(graph.find("style=dashed, label=\"lookup") != std::string::npos);
    CHECK(graph.find("label=\"next x") != std::string::npos);
}

TEST_CASE("ptv vmm run --svg and --png draw the translation cache through Graphviz") {
    test::TempDir dir;
    const auto r = ptv_vmm({"run", "hello", "-t", "bt", "--dot", dir.file("tc.dot"), "--svg",
                            dir.file("tc.svg"), "--png", dir.file("tc.png")});
    REQUIRE(r.status == 0);
    CHECK(test::xml_problem(dir.file("tc.svg")) == "");
    const std::string svg = test::read_file(dir.file("tc.svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    const auto texts = test::svg_texts(svg);
    // Every word of every unit and edge of the .dot is shown.
    const auto lines = test::dot_label_lines(test::read_file(dir.file("tc.dot")));
    CHECK(lines.size() > 90);  // 30 units of three lines, and their edges
    for (const auto& line : lines) {
        CAPTURE(line);
        CHECK(test::svg_has_text(texts, line));
    }
    CHECK(test::svg_has_text(texts, "callout: out"));
    const auto png = test::png_size(test::read_file(dir.file("tc.png")));
    REQUIRE(png.has_value());
    CHECK(png->width > 200);
    CHECK(png->height > 200);
}

TEST_CASE("ptv vmm run --svg: not binary translation, a bad path or no dot is one line") {
    test::TempDir dir;
    auto r = ptv_vmm({"run", "hello", "--svg", dir.file("tc.svg")});
    CHECK(r.status == 2);
    CHECK(r.err.find("add --technique binary-translation") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("tc.svg")));
    r = ptv_vmm({"run", "hello", "-t", "bt", "--svg", "/nonexistent-dir/tc.svg"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--svg /nonexistent-dir/tc.svg: cannot open it for writing") !=
          std::string::npos);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    r = test::run(
        {test::bin("ptv"), "vmm", "run", "hello", "-t", "bt", "--png", dir.file("tc.png")},
        {{"PATH", dir.path}}, 120);
    CHECK(r.status == 2);
    CHECK(r.err.find("--png " + dir.file("tc.png") +
                     " needs Graphviz's dot; install it with scripts/setup.sh\n") !=
          std::string::npos);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK(r.out == "");
}

TEST_CASE("ptv vmm run --trace records translations, chains and callouts in the bt category") {
    test::TempDir dir;
    const std::string path = dir.path + "/bt-trace.json";
    const auto r = ptv_vmm({"run", "hello", "-t", "binary-translation", "--trace", path});
    REQUIRE(r.status == 0);
    std::ifstream in(path);
    const auto trace = nlohmann::json::parse(in);
    // The shape the visualizer's bt view reads (visualizer/model/.../analysis.hpp).
    std::map<std::string, int> bt;
    int outs = 0;
    for (const auto& e : trace["traceEvents"]) {
        if (e.value("cat", "") != "bt") continue;
        ++bt[e.value("name", "")];
        CHECK(e["args"].contains("block") != (e["name"] == "chain"));
        if (e["name"] == "callout" && e["args"]["callout"] == "out") ++outs;
        if (e["name"] == "translate") CHECK(e["args"]["size"].is_number());
    }
    CHECK(bt["translate"] == 30);
    CHECK(bt["callout"] == 63);
    CHECK(outs == 34);
    CHECK(bt["cache-hit"] == 27);
    CHECK(bt["chain"] > 0);
}

TEST_CASE("binary-translation options: bad use is one line and status 2") {
    auto r = ptv_vmm({"run", "hello", "--listing"});
    CHECK(r.status == 2);
    CHECK(r.err.find("add --technique binary-translation") != std::string::npos);
    r = ptv_vmm({"run", "hello", "-t", "bt", "--dot", "/nonexistent-dir/x.dot"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--dot /nonexistent-dir/x.dot: cannot open it for writing") !=
          std::string::npos);
}

TEST_CASE("ptv vmm microbench: modelled cycles per operation, exactly") {
    const auto r = ptv_vmm({"microbench", "-n", "50", "--no-kvm", "--json"});
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> by;
    for (const auto& row : j["microbenchmarks"])
        by[row.value("guest", "")] = row.value("cycles", nlohmann::json());
    // call/ret: 4 instructions; under BT a return costs a lookup (30) and
    // call, ret and jnz are inline translations (3 each).
    CHECK(by["mb-callret"]["native"] == 4.0);
    CHECK(by["mb-callret"]["binary-translation"] == 43.0);
    // in: the device (1,000) + 3 instructions; a VM exit adds 2,000, a callout 400.
    CHECK(by["mb-in"]["native"] == 1003.0);
    CHECK(by["mb-in"]["vmx"] == 3003.0);
    CHECK(by["mb-in"]["binary-translation"] == 1406.0);
    // A control-register write: a callout is far cheaper than a trap or an exit.
    CHECK(by["mb-cr"]["native"] == 3.0);
    CHECK(by["mb-cr"]["vmx"] == 2003.0);
    CHECK(by["mb-cr"]["binary-translation"] == 406.0);
    // Ring-3 system calls: trap-and-emulate cannot run the guest at all
    // (IRET to ring 3 from the deprivileged kernel), the others can.
    CHECK(by["mb-syscall"]["trap-emulate"].is_null());
    CHECK(by["mb-syscall"]["vmx"] == 206.0);
    CHECK(by["mb-divzero"]["native"] == 206.0);
}

TEST_CASE("the VMX model's trace names the guest instruction of every exit, with its time") {
    test::TempDir dir;
    const std::string path = dir.path + "/vmx.json";
    const auto r = ptv_vmm({"run", "hello", "-t", "vmx", "--trace", path});
    REQUIRE(r.status == 0);
    std::ifstream in(path);
    const auto trace = nlohmann::json::parse(in);
    std::map<std::string, int> by_instruction;
    for (const auto& e : trace["traceEvents"])
        if (e.value("cat", "") == "vmexit") {
            ++by_instruction[e["args"].value("instruction", "")];
            CHECK(e["ts"].get<double>() >= 0);
        }
    CHECK(by_instruction ==
          std::map<std::string, int>{{"out dx, al", 34}, {"in al, dx", 27}, {"hlt", 1}});
}

namespace {

// An alternative translator's decisions, counting their calls: the kit's
// classification and chaining, and invalidation by the bytes written.
int g_classified = 0, g_chain_calls = 0, g_invalidate_calls = 0;

vmm::Translation counting_classify(const vmm::DecodedInstruction& insn) {
    ++g_classified;
    return vmm::classify(insn);
}

void counting_chain(vmm::TranslationUnit& from, vmm::UnitExit exit, vmm::TranslationUnit& to) {
    ++g_chain_calls;
    vmm::chain_known_successor(from, exit, to);
}

void by_bytes_written(vmm::TranslationCache& cache, uint32_t first, uint32_t last) {
    ++g_invalidate_calls;
    for (vmm::TranslationUnit* tu : cache.overlapping(first, last)) cache.invalidate(*tu);
}

struct BtRun {
    vmm::RunResult native;
    vmm::FinalState state;
    std::string output;
    vmm::TranslationCounters counters;
};

BtRun run_with(const std::string& guest, const vmm::TranslatorDecisions& d) {
    BtRun r;
    r.native = test::run_model(guest, "native");
    vmm::GuestConfig config;
    config.image_path = test::guest(guest);
    config.name = guest;
    vmm::SimulatedMachine machine(config);
    vmm::BinaryTranslation bt(machine, d);
    vmm::Cpu cpu(machine.ram(), bt);
    machine.attach(cpu);
    machine.boot(cpu.state());
    bt.start(cpu);
    bt.run(cpu, 50'000'000);
    r.state.cpu = bt.guest_view(cpu);
    r.state.undefined_flags = cpu.undefined_flags();
    r.state.memory_hash = memory_hash(machine.ram());
    r.output = machine.output();
    r.counters = bt.translation_counters();
    return r;
}

}  // namespace

TEST_CASE("binary translation takes another translator's decisions (TranslatorDecisions)") {
    g_classified = g_chain_calls = g_invalidate_calls = 0;
    vmm::TranslatorDecisions d{&counting_classify, &counting_chain, &by_bytes_written};
    const BtRun r = run_with("smc", d);
    CHECK(vmm::compare_states(r.native, r.state, r.output).equivalent);
    // Every translated instruction was classified by it, every lookup after a
    // unit's exit asked it, and each write into code handed to it.
    CHECK(uint64_t(g_classified) >= r.counters.translated_instructions);
    CHECK(g_chain_calls > 0);
    CHECK(g_invalidate_calls > 0);
    // Invalidating by the bytes written translates less again than by the
    // 256-byte line (214 retranslations with the kit's own, above).
    CHECK(r.counters.retranslations == 200);
    CHECK(r.counters.units_invalidated == 202);
    CHECK(r.counters.translations == 273);
}

TEST_CASE("a sensitive instruction translated identically shows the guest the real machine") {
    // popf's classification with PUSHF, POPF and SGDT copied unchanged.
    vmm::TranslatorDecisions d;
    d.classify = [](const vmm::DecodedInstruction& insn) {
        const auto m = ZydisMnemonic(insn.mnemonic);
        if (m == ZYDIS_MNEMONIC_PUSHFD || m == ZYDIS_MNEMONIC_POPFD || m == ZYDIS_MNEMONIC_SGDT)
            return vmm::Translation::Identity;
        return vmm::classify(insn);
    };
    const BtRun r = run_with("popf", d);
    CHECK_FALSE(vmm::compare_states(r.native, r.state, r.output).equivalent);
    CHECK(r.output.find("after cli: IF=1") != std::string::npos);
    CHECK(r.output.find("sgdt base=0xffc00000") != std::string::npos);
    CHECK(r.counters.callouts.count("pushfd") == 0);
}
