#include <fmt/format.h>

#include <filesystem>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/file_tree.hpp"
#include "ptv/lab/grader/lab_spec.hpp"
#include "ptv/lab/grader/lab_tools.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

namespace {
std::string makefile(const std::string& id, const std::string& ptv_path) {
    return fmt::format(
        "# Made by `ptv lab start {0}`.\n"
        "#   make grade             build your files against the kit and run every test\n"
        "#   make grade ONLY=CASE   one test (its case name, as the report shows it)\n"
        "#   make clean             remove the programs grading built\n"
        "PTV ?= {1}\n"
        "ONLY ?=\n"
        "\n"
        ".PHONY: grade clean\n"
        "grade:\n"
        "\t$(PTV) grade {0} --submission . $(if $(ONLY),--only $(ONLY))\n"
        "\n"
        "clean:\n"
        "\trm -f lab-tests lab-tests-asan lab-tests-tsan\n",
        id, ptv_path);
}
}  // namespace

void start_lab(const std::string& lab_dir, const std::string& id, const std::string& dir,
               const std::string& ptv_path) {
    if (!missing_or_empty(dir))
        throw UsageError(fmt::format("{} is not empty; give a new or empty directory", dir));
    LabSpec spec = load_lab_spec(lab_dir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw UsageError(fmt::format("cannot create {}: {}", dir, ec.message()));
    copy_file_to(lab_dir + "/README.md", dir + "/README.md");
    if (fs::is_directory(lab_dir + "/include")) copy_tree(lab_dir + "/include", dir + "/include");
    copy_tree(lab_dir + "/starter", dir);
    if (fs::is_directory(lab_dir + "/public")) copy_tree(lab_dir + "/public", dir + "/public");
    write_text_file(dir + "/Makefile", makefile(id, ptv_path));
}

void export_handout(const Kit& kit, const std::vector<std::string>& ids, const std::string& out) {
    for (const auto& id : ids) copy_tree(kit.require_lab(id), out + "/" + id, {"solution"});
    copy_tree(kit.labs_dir() + "/harness", out + "/harness");
    copy_tree(kit.labs_dir() + "/grader", out + "/grader");
    copy_file_to(kit.labs_dir() + "/README.md", out + "/README.md");
}

}  // namespace ptv::lab
