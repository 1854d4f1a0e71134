#include "demo_deck.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "paths.hpp"
#include "ptv/common/error.hpp"

namespace fs = std::filesystem;

namespace ptv::cli {

namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// A deck is NN-name.md: the number orders the course.
const std::regex kDeckName(R"(^([0-9]{2})-([a-z0-9-]+)\.md$)");

// The number of leading backticks of a fence line, 0 when it is none.
size_t fence_length(const std::string& line) {
    size_t n = 0;
    while (n < line.size() && line[n] == '`') ++n;
    return n >= 3 ? n : 0;
}

}  // namespace

std::string slides_dir() {
    if (const char* env = std::getenv("PTV_SLIDES_DIR"); env && *env) {
        std::error_code ec;
        if (!fs::is_directory(env, ec))
            throw UsageError(fmt::format(
                "PTV_SLIDES_DIR={} is not a directory; point it at the kit's slides/", env));
        return env;
    }
    auto beside = fs::path(executable_dir()).parent_path().parent_path() / "slides";
    std::error_code ec;
    if (fs::is_directory(beside, ec)) return beside.lexically_normal().string();
    throw UsageError(fmt::format(
        "no slides/ at {}; run the ptv of a build tree inside the kit, or set PTV_SLIDES_DIR",
        beside.lexically_normal().string()));
}

std::vector<std::string> lecture_names(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        auto file = e.path().filename().string();
        if (e.is_regular_file() && std::regex_match(file, kDeckName))
            names.push_back(e.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string resolve_lecture(const std::string& dir, const std::string& lecture) {
    auto names = lecture_names(dir);
    bool number = !lecture.empty() && lecture.size() <= 2 &&
                  std::all_of(lecture.begin(), lecture.end(),
                              [](unsigned char c) { return std::isdigit(c) != 0; });
    for (const auto& name : names) {
        if (number && std::stoi(lecture) == std::stoi(name.substr(0, 2))) return name;
        if (!number && (lecture == name || lecture == name.substr(3))) return name;
    }
    throw UsageError(fmt::format(
        "no lecture '{}'; lectures: {} (by number or name)", lecture,
        names.empty() ? std::string("none in " + dir) : fmt::format("{}", fmt::join(names, ", "))));
}

std::vector<DemoStep> parse_demos(std::istream& deck, const std::string& where) {
    std::vector<DemoStep> steps;
    std::string line;
    int number = 0;
    size_t open_fence = 0;  // backticks of the fence we are inside, 0 outside
    bool in_demo = false, kvm = false;
    int fence_line = 0;
    while (std::getline(deck, line)) {
        ++number;
        if (size_t n = fence_length(line)) {
            if (open_fence == 0) {
                open_fence = n;
                fence_line = number;
                std::istringstream info(line.substr(n));
                std::string word;
                in_demo = kvm = false;
                while (info >> word) {
                    in_demo = in_demo || word == "demo";
                    kvm = kvm || word == "kvm";
                }
                continue;
            }
            if (n >= open_fence && trim(line.substr(n)).empty()) {
                open_fence = 0;
                in_demo = false;
                continue;
            }
        }
        if (!in_demo) continue;
        auto command = trim(line);
        if (command.empty() || command[0] == '#') continue;
        if (command.rfind("ptv ", 0) != 0)
            throw UsageError(
                fmt::format("{}:{}: a demo line is one ptv command as typed ('ptv ...'), not '{}'",
                            where, number, command));
        steps.push_back({command, kvm, number});
    }
    if (open_fence != 0)
        throw UsageError(fmt::format("{}:{}: this code block is never closed; end it with ```",
                                     where, fence_line));
    return steps;
}

}  // namespace ptv::cli
