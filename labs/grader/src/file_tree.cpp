#include "ptv/lab/grader/file_tree.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "ptv/common/error.hpp"

namespace fs = std::filesystem;

namespace ptv::lab {

void copy_file_to(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::create_directories(fs::path(to).parent_path(), ec);
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw UsageError(fmt::format("cannot copy {} to {}: {}", from, to, ec.message()));
}

void copy_tree(const std::string& from, const std::string& to,
               const std::set<std::string>& except) {
    std::error_code ec;
    if (!fs::is_directory(from, ec)) throw UsageError(fmt::format("{} is not a directory", from));
    fs::create_directories(to, ec);
    for (const auto& entry : fs::directory_iterator(from)) {
        std::string name = entry.path().filename().string();
        if (except.count(name)) continue;
        fs::path dest = fs::path(to) / name;
        if (entry.is_directory())
            copy_tree(entry.path().string(), dest.string());
        else if (entry.is_regular_file())
            copy_file_to(entry.path().string(), dest.string());
    }
}

void write_text_file(const std::string& path, const std::string& text, bool executable) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    std::ofstream out(path, std::ios::trunc);
    if (!out || !(out << text) || !out.flush())
        throw UsageError(fmt::format("cannot write {}", path));
    out.close();
    if (executable)
        fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
}

bool missing_or_empty(const std::string& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return true;
    return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

}  // namespace ptv::lab
