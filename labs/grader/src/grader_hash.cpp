#include "ptv/lab/grader/grader_hash.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ptv/common/memory_hash.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

namespace {

void add_tree(std::vector<std::pair<std::string, fs::path>>& files, const fs::path& root,
              const std::string& label) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
        files.emplace_back(label, root);
        return;
    }
    if (!fs::is_directory(root, ec)) return;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file())
            files.emplace_back(label + "/" + fs::relative(it->path(), root).generic_string(),
                               it->path());
}

}  // namespace

std::string grader_hash(const std::string& lab_dir, const std::string& shared_harness_dir) {
    std::vector<std::pair<std::string, fs::path>> files;
    for (const char* part : {"lab.json", "include", "harness", "public", "hidden"})
        add_tree(files, fs::path(lab_dir) / part, part);
    add_tree(files, shared_harness_dir, "labs/harness");
    std::sort(files.begin(), files.end());
    std::string bytes = kGraderVersion;
    bytes += '\0';
    for (const auto& [label, path] : files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        bytes += label;
        bytes += '\0';
        bytes += content.str();
        bytes += '\0';
    }
    auto h = memory_hash(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    return memory_hash_text(h);
}

}  // namespace ptv::lab
