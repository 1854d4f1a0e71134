// ptv-exercises: `ptv exercises export|check` (ptv executes this program for
// them, as for `ptv vmm`: the vmm questions run the CPU model, which links
// Zydis, a shared library, while ptv is static).
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/exercises/check.hpp"
#include "ptv/exercises/export.hpp"
#include "ptv/exercises/generator.hpp"

namespace {

namespace ex = ptv::exercises;

struct ExportOptions {
    std::string module, format = "json", output;
    int count = 10;
    uint64_t seed = 0;
};

int run_export(const ExportOptions& o) {
    const ex::GeneratorRegistry registry = ex::GeneratorRegistry::builtin();
    const ex::Generator& g = registry.find(o.module);
    // Bad options are usage errors before any work is done.
    if (o.count < 1 || o.count > ex::kMaxCount)
        throw ptv::UsageError(
            fmt::format("--count {} is out of range: use 1..{}", o.count, ex::kMaxCount));
    if (o.format != "json" && o.format != "moodle-xml" && o.format != "gift")
        throw ptv::UsageError(fmt::format("--format '{}': use json, moodle-xml or gift", o.format));
    const std::string text = ex::export_bank(ex::make_bank(g, o.count, o.seed), o.format);
    if (o.output.empty()) {
        std::fputs(text.c_str(), stdout);
        return 0;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(o.output.c_str(), "w"),
                                                      &std::fclose);
    if (!f)
        throw ptv::UsageError(
            fmt::format("-o {}: cannot open it for writing; check the path", o.output));
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size() ||
        std::fclose(f.release()) != 0) {
        std::remove(o.output.c_str());
        throw ptv::UsageError(fmt::format("-o {}: the write failed; check the disk", o.output));
    }
    return 0;
}

nlohmann::json read_json(const std::string& path, const char* what) {
    std::ifstream in(path);
    if (!in)
        throw ptv::UsageError(fmt::format("{} {}: cannot read it; check the path", what, path));
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw ptv::UsageError(
            fmt::format("{} {}: not JSON (byte {}); give the file as written", what, path, e.byte));
    }
}

int run_check(const std::string& bank_path, const std::string& answers_path) {
    const nlohmann::json bank_json = read_json(bank_path, "BANK");
    ex::Bank bank;
    try {
        bank = ex::bank_from_json(bank_json);
    } catch (const ptv::UsageError& e) {
        throw ptv::UsageError(fmt::format("BANK {}: {}", bank_path, e.what()));
    }
    const nlohmann::json answers = read_json(answers_path, "ANSWERS");
    ex::Marking m;
    try {
        m = ex::mark(bank, answers);
    } catch (const ptv::UsageError& e) {
        throw ptv::UsageError(fmt::format("ANSWERS {}: {}", answers_path, e.what()));
    }
    std::fputs(m.report().c_str(), stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ptv exercises: question banks from the simulators' seeded problems",
                 "ptv exercises"};
    app.require_subcommand(1);
    auto e = std::make_shared<ExportOptions>();
    auto* exp = app.add_subcommand(
        "export",
        "COUNT questions with exact answers from seeds SEED, SEED+1, ... (a seed whose problem "
        "is not worth asking is skipped, and the question says so)");
    exp->add_option("--module", e->module, "threads, servers, vmm, migration or bindings")
        ->required();
    exp->add_option("-n,--count", e->count, "how many questions (1..100)")->capture_default_str();
    exp->add_option("-s,--seed", e->seed, "the first seed (0 or more)")->capture_default_str();
    exp->add_option("--format", e->format, "json, moodle-xml or gift")->capture_default_str();
    exp->add_option("-o,--output", e->output, "write to FILE instead of stdout");
    std::string bank, answers;
    auto* chk = app.add_subcommand(
        "check",
        "mark ANSWERS.json ({\"id\": answer, ...}) against BANK.json, question by question");
    chk->add_option("bank", bank, "the bank, as 'export --format json' wrote it")->required();
    chk->add_option("answers", answers, "a JSON object: question id -> number or choice key")
        ->required();
    ptv::cli::parse_or_exit(app, argc, argv, "ptv exercises");
    try {
        if (exp->parsed()) return run_export(*e);
        if (chk->parsed()) return run_check(bank, answers);
    } catch (const ptv::UsageError& err) {
        std::fprintf(stderr, "ptv exercises: %s\n", err.what());
        return ptv::kUsageExit;
    } catch (const std::exception& err) {
        std::fprintf(stderr, "ptv exercises: internal error: %s\n", err.what());
        return 70;
    }
    return 0;
}
