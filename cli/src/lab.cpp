#include "lab.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "paths.hpp"
#include "ptv/common/error.hpp"
#include "ptv/lab/grader/grade_command.hpp"
#include "ptv/lab/grader/kit.hpp"
#include "ptv/lab/grader/lab_spec.hpp"
#include "ptv/lab/grader/lab_tools.hpp"

namespace ptv::cli {

namespace {

int list_labs() {
    auto kit = lab::Kit::located();
    const auto ids = kit.lab_ids();
    // The id column is as wide as the longest id, so the titles line up.
    int width = 14;
    for (const auto& id : ids) width = std::max(width, int(id.size()));
    std::printf("%-*s %-6s %s\n", width, "lab", "points", "title");
    for (const auto& id : ids) {
        auto spec = lab::load_lab_spec(kit.lab_dir(id));
        std::printf("%-*s %-6s %s\n", width, id.c_str(),
                    fmt::format("{}", spec.max_points()).c_str(), spec.title.c_str());
    }
    return 0;
}

}  // namespace

Commands lab_commands(CLI::App& lab) {
    Commands commands;
    auto* list = lab.add_subcommand("list", "the labs: id, title and points");
    commands.emplace_back(list, [] { return list_labs(); });

    struct Start {
        std::string id, dir;
    };
    auto start = std::make_shared<Start>();
    auto* start_cmd = lab.add_subcommand(
        "start", "a working directory for a lab: handout, starter files, public tests, Makefile");
    start_cmd->add_option("lab", start->id, "the lab's id (see 'ptv lab list')")->required();
    start_cmd->add_option("dir", start->dir, "a new or empty directory")->required();
    commands.emplace_back(start_cmd, [start] {
        auto kit = lab::Kit::located();
        lab::start_lab(kit.require_lab(start->id), start->id, start->dir,
                       executable_dir() + "/ptv");
        std::printf("%s: %s ready; edit the starter files there, then 'make grade'\n",
                    start->dir.c_str(), start->id.c_str());
        return 0;
    });

    struct Handout {
        std::string out;
        std::vector<std::string> ids;
    };
    auto handout = std::make_shared<Handout>();
    auto* handout_cmd = lab.add_subcommand(
        "handout", "export what students may see (every lab without its solution)");
    handout_cmd->add_option("--out", handout->out, "the directory to write")->required();
    handout_cmd->add_option("labs", handout->ids, "the labs (default: all)");
    commands.emplace_back(handout_cmd, [handout] {
        auto kit = lab::Kit::located();
        auto ids = handout->ids.empty() ? kit.lab_ids() : handout->ids;
        lab::export_handout(kit, ids, handout->out);
        std::printf("%s: handouts of %zu lab(s), without solutions\n", handout->out.c_str(),
                    ids.size());
        return 0;
    });

    struct Package {
        std::string id, out;
        bool gradescope = false;
    };
    auto package = std::make_shared<Package>();
    auto* package_cmd =
        lab.add_subcommand("package", "the autograder of a lab for a course platform");
    package_cmd->add_option("lab", package->id, "the lab's id")->required();
    package_cmd->add_flag("--gradescope", package->gradescope,
                          "Gradescope's autograder zip (setup.sh, run_autograder)");
    package_cmd->add_option("--out", package->out, "the zip to write")->required();
    commands.emplace_back(package_cmd, [package] {
        if (!package->gradescope)
            throw UsageError("say which platform: --gradescope (the one supported)");
        auto kit = lab::Kit::located();
        lab::package_gradescope(kit, kit.require_lab(package->id), package->id, package->out);
        std::printf("%s: Gradescope autograder for %s\n", package->out.c_str(),
                    package->id.c_str());
        return 0;
    });
    return commands;
}

Commands grade_commands(CLI::App& app) {
    auto options = std::make_shared<lab::GradeOptions>();
    auto* grade = app.add_subcommand(
        "grade", "grade a lab submission: build it against the kit, run the tests, score it");
    lab::add_grade_options(*grade, *options);
    return {{grade, [options] { return lab::run_grade(*options); }}};
}

}  // namespace ptv::cli
