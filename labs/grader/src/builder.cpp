#include "ptv/lab/grader/builder.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/parallel.hpp"
#include "ptv/lab/grader/process.hpp"

namespace ptv::lab {

namespace {
// Long enough for the slowest sanitizer build of a lab on a loaded laptop;
// a compiler that takes longer is stuck (a template loop), not slow.
constexpr double kCompileLimitS = 300;
}  // namespace

std::vector<std::string> compile_command(const Recipe& recipe, const std::string& variant,
                                         const std::vector<std::string>& sources,
                                         const std::string& output) {
    auto it = recipe.variants.find(variant);
    if (it == recipe.variants.end())
        throw UsageError(fmt::format("the recipe of {} has no variant '{}'; rebuild the lab",
                                     recipe.lab, variant));
    std::vector<std::string> cmd = {recipe.cxx};
    cmd.insert(cmd.end(), recipe.compile.begin(), recipe.compile.end());
    cmd.insert(cmd.end(), it->second.flags.begin(), it->second.flags.end());
    cmd.insert(cmd.end(), sources.begin(), sources.end());
    cmd.insert(cmd.end(), it->second.link.begin(), it->second.link.end());
    cmd.push_back("-o");
    cmd.push_back(output);
    return cmd;
}

std::string first_error_line(const std::string& text) {
    std::istringstream in(text);
    std::string line, first;
    while (std::getline(in, line)) {
        if (first.empty() && !line.empty()) first = line;
        if (line.find("error:") != std::string::npos ||
            line.find("undefined reference") != std::string::npos)
            return line;
    }
    return first;
}

std::map<std::string, BuiltVariant> build_variants(const Recipe& recipe,
                                                   const std::vector<std::string>& variants,
                                                   const std::vector<std::string>& sources,
                                                   const std::string& work_dir, int jobs) {
    std::vector<BuiltVariant> built(variants.size());
    std::vector<std::vector<std::string>> commands;
    for (const auto& v : variants) {
        std::string dir = work_dir + "/" + v;
        std::filesystem::create_directories(dir);
        built[commands.size()].program = dir + "/lab-tests";
        commands.push_back(compile_command(recipe, v, sources, dir + "/lab-tests"));
    }
    run_parallel(variants.size(), jobs, [&](size_t i) {
        ProcessSpec spec;
        spec.argv = commands[i];
        spec.cwd = work_dir;
        spec.time_limit_s = kCompileLimitS;
        spec.output_cap = 64 * 1024;
        auto r = run_process(spec);
        auto& b = built[i];
        b.log = r.err + r.out;
        b.ok = !r.timed_out && r.exit_code == 0;
        if (r.timed_out)
            b.first_error = fmt::format("the compiler ran over {} s", kCompileLimitS);
        else if (!b.ok)
            b.first_error = first_error_line(b.log);
    });
    std::map<std::string, BuiltVariant> out;
    for (size_t i = 0; i < variants.size(); ++i) out[variants[i]] = std::move(built[i]);
    return out;
}

}  // namespace ptv::lab
