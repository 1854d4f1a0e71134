#include "harness/runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "ptv/common/memory_hash.hpp"
#include "ptv/vmm/machine.hpp"
#include "ptv/vmm/native.hpp"

namespace ptv::lab::bt {

namespace {

// The guest images: $PTV_GUEST_DIR, or the kit's build/guests.
std::string image_path(const std::string& name) {
    std::string dir;
    if (const char* env = std::getenv("PTV_GUEST_DIR"); env && *env) dir = env;
#ifdef PTV_LAB_GUEST_DIR
    if (dir.empty()) dir = PTV_LAB_GUEST_DIR;
#endif
    const std::string path = dir + "/" + name + ".bin";
    if (dir.empty() || ::access(path.c_str(), R_OK) != 0)
        throw Failure(fmt::format(
            "the guest image {}.bin is not where the kit built it ({}); build the kit's `guests` "
            "target or set PTV_GUEST_DIR",
            name, path));
    return path;
}

// A generated image in a temporary file for as long as the machine loads it.
class ImageFile {
  public:
    explicit ImageFile(const std::vector<uint8_t>& bytes) {
        char tmpl[] = "/tmp/ptv-lab04-XXXXXX";
        const int fd = ::mkstemp(tmpl);
        if (fd < 0) throw Failure("cannot create a temporary file for the generated guest");
        path_ = tmpl;
        const bool ok = ::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size());
        ::close(fd);
        if (!ok) {
            ::unlink(path_.c_str());
            throw Failure("cannot write the generated guest");
        }
    }
    ~ImageFile() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

constexpr uint64_t kBudget = 20'000'000;

vmm::RunResult run(const Guest& g, const vmm::TranslatorDecisions* decisions,
                   vmm::TranslationCounters* counters) {
    vmm::GuestConfig config;
    config.name = g.name;
    config.cmdline = g.cmdline;
    config.memory_mib = 8;
    std::unique_ptr<vmm::SimulatedMachine> machine;
    if (g.image.empty()) {
        config.image_path = image_path(g.name);
        machine = std::make_unique<vmm::SimulatedMachine>(config);
    } else {
        ImageFile file(g.image);  // read by the machine's constructor
        config.image_path = file.path();
        machine = std::make_unique<vmm::SimulatedMachine>(config);
    }
    std::unique_ptr<vmm::Technique> technique;
    vmm::BinaryTranslation* bt = nullptr;
    if (decisions) {
        auto t = std::make_unique<vmm::BinaryTranslation>(*machine, *decisions);
        bt = t.get();
        technique = std::move(t);
    } else {
        technique = std::make_unique<vmm::Native>(*machine);
    }
    vmm::Cpu cpu(machine->ram(), *technique);
    machine->attach(cpu);
    machine->boot(cpu.state());
    technique->start(cpu);
    const vmm::Stop stop = technique->run(cpu, kBudget);

    vmm::RunResult r;
    r.guest = g.name;
    r.technique = decisions ? "binary-translation" : "native";
    r.outcome = std::string(outcome_name(stop.outcome));
    r.message = stop.detail;
    r.output = machine->output();
    r.final_state.cpu = technique->guest_view(cpu);
    r.final_state.undefined_flags = cpu.undefined_flags();
    r.final_state.memory_hash = memory_hash(machine->ram());
    r.final_state.memory_bytes = machine->ram().size();
    r.counters = technique->counters();
    r.instructions = cpu.counters().instructions;
    r.cycles = r.instructions + r.counters.cycles;
    if (bt && counters) *counters = bt->translation_counters();
    return r;
}

}  // namespace

vmm::RunResult run_native(const Guest& guest) {
    return run(guest, nullptr, nullptr);
}

Translated run_translated(const Guest& guest, const vmm::TranslatorDecisions& decisions) {
    Translated t;
    t.result = run(guest, &decisions, &t.counters);
    return t;
}

void expect_equivalent(const vmm::RunResult& native, const Translated& bt) {
    const vmm::RunResult& r = bt.result;
    expect(r.outcome == native.outcome,
           fmt::format("{}: the run ended \"{}\" ({}); natively \"{}\"", native.guest, r.outcome,
                       r.message, native.outcome));
    const vmm::Equivalence e = vmm::compare_states(native, r.final_state, r.output);
    expect(e.equivalent, fmt::format("{}: not equivalent to the native run: {}", native.guest,
                                     e.first_difference));
    expect_eq(r.instructions, native.instructions, native.guest + ": guest instructions retired");
}

std::string callouts_text(const std::map<std::string, uint64_t>& callouts) {
    std::string s;
    for (const auto& [name, n] : callouts)
        s += fmt::format("{}{} {}", s.empty() ? "" : ", ", name, n);
    return s.empty() ? "none" : s;
}

void expect_callouts(const Translated& bt, const std::map<std::string, uint64_t>& callouts) {
    expect(bt.counters.callouts == callouts,
           fmt::format("{}: callouts by instruction: got {}; expected {}", bt.result.guest,
                       callouts_text(bt.counters.callouts), callouts_text(callouts)));
}

}  // namespace ptv::lab::bt
