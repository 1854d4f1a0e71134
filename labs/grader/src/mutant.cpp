// Submissions assembled from a lab's files and a mutant (see mutant.hpp).
#include "ptv/lab/grader/mutant.hpp"

#include <filesystem>
#include <stdexcept>

#include "ptv/lab/grader/file_tree.hpp"
#include "ptv/lab/grader/process.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

void assemble_submission(const std::vector<std::string>& layers, const std::string& dir) {
    std::vector<std::string> patches;
    for (const auto& layer : layers)
        for (const auto& e : fs::directory_iterator(layer)) {
            const std::string name = e.path().filename().string();
            if (!e.is_regular_file() || name == "mutant.json") continue;
            if (name == "mutant.patch")
                patches.push_back(e.path().string());
            else
                copy_file_to(e.path().string(), dir + "/" + name);
        }
    for (const auto& patch : patches) {
        ProcessSpec spec;
        spec.argv = {find_in_path("patch"),
                     "-p1",
                     "--batch",
                     "--forward",
                     "--no-backup-if-mismatch",
                     "-d",
                     dir,
                     "-i",
                     patch};
        spec.time_limit_s = 30;
        if (spec.argv[0].empty()) throw std::runtime_error("no 'patch' program to apply " + patch);
        const ProcessResult r = run_process(spec);
        if (r.timed_out || r.exit_code != 0)
            throw std::runtime_error(patch + " does not apply to the solution: " + r.out + r.err);
    }
}

}  // namespace ptv::lab
