#include "ptv/lab/grader/builder.hpp"

#include <fmt/format.h>

#include <cstdlib>
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

const Recipe::Variant& variant_of(const Recipe& recipe, const std::string& variant) {
    auto it = recipe.variants.find(variant);
    if (it == recipe.variants.end())
        throw UsageError(fmt::format("the recipe of {} has no variant '{}'; rebuild the lab",
                                     recipe.lab, variant));
    return it->second;
}

}  // namespace

std::vector<std::string> object_command(const Recipe& recipe, const std::string& variant,
                                        const std::string& source, const std::string& object) {
    const auto& v = variant_of(recipe, variant);
    std::vector<std::string> cmd = {recipe.cxx};
    cmd.insert(cmd.end(), recipe.compile.begin(), recipe.compile.end());
    cmd.insert(cmd.end(), v.flags.begin(), v.flags.end());
    cmd.insert(cmd.end(), {"-c", source, "-o", object});
    return cmd;
}

std::vector<std::string> link_command(const Recipe& recipe, const std::string& variant,
                                      const std::vector<std::string>& objects,
                                      const std::string& program) {
    const auto& v = variant_of(recipe, variant);
    std::vector<std::string> cmd = {recipe.cxx};
    cmd.insert(cmd.end(), v.flags.begin(), v.flags.end());
    cmd.insert(cmd.end(), objects.begin(), objects.end());
    cmd.insert(cmd.end(), v.link.begin(), v.link.end());
    cmd.insert(cmd.end(), {"-o", program});
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

namespace {

struct Step {
    size_t variant;
    std::vector<std::string> argv;
    std::string cwd;
    ProcessResult result;
};

void run_steps(std::vector<Step>& steps, int jobs) {
    run_parallel(steps.size(), jobs, [&](size_t i) {
        ProcessSpec spec;
        spec.argv = steps[i].argv;
        spec.cwd = steps[i].cwd;
        spec.time_limit_s = kCompileLimitS;
        spec.output_cap = 64 * 1024;
        steps[i].result = run_process(spec);
    });
}

// Records a failed step in its variant: the first failure's error line.
void record(BuiltVariant& b, const ProcessResult& r) {
    b.log += r.err + r.out;
    bool ok = !r.timed_out && r.exit_code == 0;
    if (ok || !b.first_error.empty()) {
        b.ok = b.ok && ok;
        return;
    }
    b.ok = false;
    b.first_error = r.timed_out ? fmt::format("the compiler ran over {} s", kCompileLimitS)
                                : first_error_line(r.err + r.out);
}

}  // namespace

std::map<std::string, BuiltVariant> build_variants(const Recipe& recipe,
                                                   const std::vector<std::string>& variants,
                                                   const std::string& submission_dir,
                                                   const std::vector<std::string>& files,
                                                   const std::string& work_dir, int jobs) {
    std::vector<std::string> launcher;
    if (const char* l = std::getenv("PTV_GRADE_COMPILER_LAUNCHER"); l && *l) {
        std::string path = find_in_path(l);
        if (path.empty())
            throw UsageError(fmt::format("PTV_GRADE_COMPILER_LAUNCHER: no program '{}'", l));
        launcher.push_back(path);
    }
    std::vector<BuiltVariant> built(variants.size());
    std::vector<std::vector<std::string>> objects(variants.size());
    std::vector<Step> compiles;
    for (size_t v = 0; v < variants.size(); ++v) {
        std::string dir = work_dir + "/" + variants[v];
        std::filesystem::create_directories(dir);
        built[v].ok = true;
        built[v].program = dir + "/lab-tests";
        for (const auto& f : files) {
            std::string object = dir + "/" + std::filesystem::path(f).stem().string() + ".o";
            objects[v].push_back(object);
            auto argv = launcher;
            auto cmd = object_command(recipe, variants[v], f, object);
            argv.insert(argv.end(), cmd.begin(), cmd.end());
            compiles.push_back({v, argv, submission_dir, {}});
        }
    }
    run_steps(compiles, jobs);
    for (const auto& c : compiles) record(built[c.variant], c.result);

    std::vector<Step> links;
    for (size_t v = 0; v < variants.size(); ++v)
        if (built[v].ok)
            links.push_back(
                {v, link_command(recipe, variants[v], objects[v], built[v].program), work_dir, {}});
    run_steps(links, jobs);
    for (const auto& l : links) record(built[l.variant], l.result);

    std::map<std::string, BuiltVariant> out;
    for (size_t i = 0; i < variants.size(); ++i) out[variants[i]] = std::move(built[i]);
    return out;
}

}  // namespace ptv::lab
