// bench-vmm-mips: guest instructions per second of the CPU model of sim/vmm
// (the native technique: the bare model, no VMM) on a compute-bound guest,
// beside Unicorn (QEMU's TCG translator as a library) running the same code
// from the same memory and registers in the same run, and the ratio
// model / Unicorn against its target (at least 0.1x), and binary translation
// against the interpreter and Unicorn (at least 5x and 0.25x). A measurement,
// not a test: it exits 0 whether the targets are met or not, 2 for a usage
// mistake, 1 if a run fails or the engines end in different states.
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/common/cli.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/common/table.hpp"
#include "ptv/vmm/machine.hpp"
#include "ptv/vmm/run.hpp"

namespace {

using namespace ptv;
using namespace ptv::vmm;

constexpr double kTargetRatio = 0.1;  // the interpreter, over Unicorn
// Binary translation at least 5x the interpreter and 0.25x Unicorn.
constexpr double kBtOverInterpreter = 5.0, kBtOverUnicorn = 0.25;
constexpr uint32_t kMemoryMib = 16;  // the guest needs 1 MiB; less to copy into Unicorn

// What one engine did: its instructions, its time, and the state it ended
// in (EIP aside: the model stops after the HLT, Unicorn at it).
struct Run {
    uint64_t instructions = 0;
    uint64_t ns = 0;
    std::array<uint32_t, 8> gpr{};
    uint64_t memory_hash = 0;
    uint32_t hlt_at = 0;
    double mips() const { return ns ? double(instructions) * 1e3 / double(ns) : 0; }
};

GuestConfig guest(const std::string& image, uint64_t iterations) {
    GuestConfig g;
    g.image_path = image;
    g.name = "mips-loop";
    g.cmdline = std::to_string(iterations);
    g.memory_mib = kMemoryMib;
    return g;
}

Run run_model(const GuestConfig& g, const std::string& technique = "native") {
    RunOptions o;
    o.guest = g;
    o.technique = technique;
    o.max_instructions = 0;  // no budget: the guest halts
    const RunResult r = run_guest(o);
    if (r.outcome != "halted")
        throw std::runtime_error("the CPU model did not halt: " + r.outcome + ": " + r.message);
    Run run;
    run.instructions = r.instructions;
    run.ns = r.wall_ns;
    run.gpr = r.final_state.cpu.gpr;
    run.memory_hash = r.final_state.memory_hash;
    run.hlt_at = r.stop_eip - 1;  // Halted: EIP is past the one-byte HLT
    return run;
}

void count_instruction(uc_engine*, uint64_t, uint32_t, void* user) {
    ++*static_cast<uint64_t*>(user);
}

// Unicorn from the same memory (the firmware's multiboot load and boot
// area, as the model's machine writes them) and the same boot registers,
// up to the model's HLT. `count`: count instructions with a hook (slow; for
// the check that both run the same instruction stream).
Run run_unicorn(const GuestConfig& g, uint32_t hlt_at, bool count) {
    SimulatedMachine machine(g);
    CpuState boot;
    machine.boot(boot);
    const std::span<uint8_t> ram = machine.ram();

    uc_engine* uc = nullptr;
    if (uc_err e = uc_open(UC_ARCH_X86, UC_MODE_32, &uc); e != UC_ERR_OK)
        throw std::runtime_error(std::string("uc_open: ") + uc_strerror(e));
    struct Close {
        uc_engine* uc;
        ~Close() { uc_close(uc); }
    } close{uc};
    auto check = [](uc_err e, const char* what) {
        if (e != UC_ERR_OK) throw std::runtime_error(std::string(what) + ": " + uc_strerror(e));
    };
    check(uc_mem_map(uc, 0, ram.size(), UC_PROT_ALL), "uc_mem_map");
    check(uc_mem_write(uc, 0, ram.data(), ram.size()), "uc_mem_write");
    static constexpr int regs[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                                    UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};
    for (int i = 0; i < 8; ++i) check(uc_reg_write(uc, regs[i], &boot.gpr[i]), "uc_reg_write");
    check(uc_reg_write(uc, UC_X86_REG_EFLAGS, &boot.eflags), "uc_reg_write");
    uint64_t counted = 0;
    uc_hook hook;
    if (count)
        check(uc_hook_add(uc, &hook, UC_HOOK_CODE, (void*)count_instruction, &counted, 1, 0),
              "uc_hook_add");

    const uint64_t t0 = now_ns();
    check(uc_emu_start(uc, boot.eip, hlt_at, 0, 0), "uc_emu_start");
    const uint64_t t1 = now_ns();

    Run run;
    run.ns = t1 - t0;
    run.instructions = counted;
    for (int i = 0; i < 8; ++i) uc_reg_read(uc, regs[i], &run.gpr[i]);
    uint32_t eip = 0;
    uc_reg_read(uc, UC_X86_REG_EIP, &eip);
    if (eip != hlt_at)
        throw std::runtime_error(
            fmt::format("Unicorn stopped at {:#x}, not at the HLT ({:#x})", eip, hlt_at));
    std::vector<uint8_t> after(ram.size());
    check(uc_mem_read(uc, 0, after.data(), after.size()), "uc_mem_read");
    run.memory_hash = memory_hash(after);
    run.hlt_at = hlt_at;
    return run;
}

// The two engines must have done the same work: the same registers and the
// same memory at the HLT.
void same_state(const Run& model, const Run& unicorn) {
    static const char* names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; ++i)
        if (model.gpr[i] != unicorn.gpr[i])
            throw std::runtime_error(
                fmt::format("the engines disagree: {} is {:#x} on the model, "
                            "{:#x} on Unicorn",
                            names[i], model.gpr[i], unicorn.gpr[i]));
    if (model.memory_hash != unicorn.memory_hash)
        throw std::runtime_error("the engines disagree: guest memory differs at the end");
}

uint64_t median(std::vector<uint64_t> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string mips_text(double mips) {
    return mips >= 100 ? fmt::format("{:.0f}", mips) : fmt::format("{:.1f}", mips);
}

std::string ratio_text(double x) {
    return x < 10 ? fmt::format("{:.3f}x", x) : fmt::format("{:.1f}x", x);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t iterations = 4'000'000;  // about 100 million instructions
    unsigned trials = 3;
    bool json = false;
    std::string image = PTV_MIPS_LOOP_IMAGE;
    CLI::App app{
        "bench-vmm-mips: guest instructions per second of the CPU model (native technique) "
        "beside binary translation and Unicorn on the same compute-bound guest, and the "
        "ratios against their targets"};
    app.add_option("--iterations", iterations,
                   "N: loop iterations of the guest (24 or 27 instructions each)")
        ->check(CLI::Range(uint64_t(1), uint64_t(4'000'000'000)))
        ->capture_default_str();
    app.add_option("--trials", trials, "runs of each engine (the median is reported)")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    app.add_option("--image", image, "the guest image (built as bench/vmm-mips/mips-loop.bin)")
        ->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    cli::parse_or_exit(app, argc, argv, "bench-vmm-mips");

    try {
        if (::access(image.c_str(), R_OK) != 0)
            throw UsageError(
                fmt::format("guest image '{}' is missing; build everything first: "
                            "make build",
                            image));
        const GuestConfig g = guest(image, iterations);

        // The same instruction stream on both: on a short run, Unicorn's
        // instruction count (a hook on every instruction) is the model's
        // minus the final HLT, which Unicorn stops at.
        const GuestConfig small = guest(image, 1000);
        const Run model_small = run_model(small);
        const Run unicorn_small = run_unicorn(small, model_small.hlt_at, true);
        same_state(model_small, unicorn_small);
        if (unicorn_small.instructions != model_small.instructions - 1)
            throw std::runtime_error(fmt::format(
                "instruction counts disagree on 1000 iterations: model {} (with the HLT), "
                "Unicorn {}",
                model_small.instructions, unicorn_small.instructions));

        // Trials interleave the engines, so a slow spell of the host hits both.
        std::vector<uint64_t> model_ns, unicorn_ns, bt_ns;
        Run model, unicorn, bt;
        const bool tty = ::isatty(2);
        for (unsigned t = 0; t < trials; ++t) {
            if (tty) std::fprintf(stderr, "\r\033[Ktrial %u/%u: CPU model", t + 1, trials);
            model = run_model(g);
            if (tty) std::fprintf(stderr, "\r\033[Ktrial %u/%u: binary translation", t + 1, trials);
            bt = run_model(g, "binary-translation");
            if (bt.instructions != model.instructions || bt.gpr != model.gpr ||
                bt.memory_hash != model.memory_hash)
                throw std::runtime_error("binary translation and the interpreter disagree");
            bt_ns.push_back(bt.ns);
            if (tty) std::fprintf(stderr, "\r\033[Ktrial %u/%u: Unicorn", t + 1, trials);
            unicorn = run_unicorn(g, model.hlt_at, false);
            same_state(model, unicorn);
            model_ns.push_back(model.ns);
            unicorn_ns.push_back(unicorn.ns);
        }
        if (tty) std::fprintf(stderr, "\r\033[K");
        // Unicorn executed exactly the model's instructions but the HLT.
        const uint64_t n_model = model.instructions, n_unicorn = model.instructions - 1;
        const double model_mips = double(n_model) * 1e3 / double(median(model_ns));
        const double unicorn_mips = double(n_unicorn) * 1e3 / double(median(unicorn_ns));
        const double ratio = model_mips / unicorn_mips;
        const bool met = ratio >= kTargetRatio;
        const double bt_mips = double(n_model) * 1e3 / double(median(bt_ns));
        const double bt_interp = bt_mips / model_mips, bt_unicorn = bt_mips / unicorn_mips;
        const bool bt_met = bt_interp >= kBtOverInterpreter && bt_unicorn >= kBtOverUnicorn;
        // uc_version(): major, minor, patch, extra in its four bytes.
        const unsigned v = uc_version(nullptr, nullptr);
        const std::string version =
            fmt::format("{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff);

        if (json) {
            nlohmann::json j = {
                {"benchmark", "vmm-mips"},
                {"guest", "mips-loop"},
                {"iterations", iterations},
                {"trials", trials},
                {"model", {{"instructions", n_model}, {"ns", model_ns}, {"mips", model_mips}}},
                {"unicorn",
                 {{"version", version},
                  {"instructions", n_unicorn},
                  {"ns", unicorn_ns},
                  {"mips", unicorn_mips}}},
                {"ratio", ratio},
                {"min_ratio", kTargetRatio},
                {"met", met},
                {"binary_translation",
                 {{"ns", bt_ns},
                  {"mips", bt_mips},
                  {"vs_interpreter", bt_interp},
                  {"vs_unicorn", bt_unicorn},
                  {"min_vs_interpreter", kBtOverInterpreter},
                  {"min_vs_unicorn", kBtOverUnicorn},
                  {"met", bt_met}}},
                {"same_final_state", true}};
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf(
            "Guest mips-loop, %s iterations: %s instructions on the CPU model; Unicorn %s "
            "ran the same\nbytes from the same memory and registers to the same final "
            "registers and memory.\nMedian of %u trial(s), interleaved.\n\n",
            thousands(iterations).c_str(), thousands(n_model).c_str(), version.c_str(), trials);
        Table t({"engine", "instructions", "time", "MIPS", "vs Unicorn"});
        t.right_align({1, 2, 3, 4});
        t.row({"CPU model, interpreter (native)", thousands(n_model),
               human_ns(double(median(model_ns))), mips_text(model_mips), ratio_text(ratio)});
        t.row({"CPU model, binary translation", thousands(n_model), human_ns(double(median(bt_ns))),
               mips_text(bt_mips), ratio_text(bt_unicorn)});
        t.row({"Unicorn (QEMU TCG)", thousands(n_unicorn), human_ns(double(median(unicorn_ns))),
               mips_text(unicorn_mips), ratio_text(1.0)});
        std::printf("%s", t.render().c_str());
        std::printf("\nTargets\n\n");
        Table target({"comparison", "ratio", "target", "met?"});
        target.right_align({1, 2});
        target.row({"MIPS: CPU model / Unicorn", ratio_text(ratio),
                    fmt::format("≥ {:g}x", kTargetRatio), met ? "yes" : "no"});
        target.row({"MIPS: binary translation / interpreter", ratio_text(bt_interp),
                    fmt::format("≥ {:g}x", kBtOverInterpreter),
                    bt_interp >= kBtOverInterpreter ? "yes" : "no"});
        target.row({"MIPS: binary translation / Unicorn", ratio_text(bt_unicorn),
                    fmt::format("≥ {:g}x", kBtOverUnicorn),
                    bt_unicorn >= kBtOverUnicorn ? "yes" : "no"});
        std::printf("%s", target.render().c_str());
        std::printf(
            "\nUnicorn %s takes a slow path for every guest store (QEMU's check for "
            "self-modifying\ncode); loads and register instructions run several times "
            "faster there (bench/README.md).\n",
            version.c_str());
        return 0;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "bench-vmm-mips: %s\n", e.what());
        return kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-vmm-mips: measurement failed: %s\n", e.what());
        return 1;
    }
}
