#include "counter_lines.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <sstream>

namespace ptv::test {

std::vector<int> counter_lines(const std::string& serial) {
    std::vector<int> n;
    const size_t cut = serial.rfind('\n');
    const std::string complete = cut == std::string::npos ? "" : serial.substr(0, cut + 1);
    const std::string unfinished = serial.substr(complete.size());
    std::istringstream in(complete);
    std::string line;
    int banners = 0;
    while (std::getline(in, line)) {
        if (line.rfind("counter: working set", 0) == 0) {
            ++banners;
            CHECK(n.empty());
            continue;
        }
        std::smatch m;
        if (std::regex_match(line, m, std::regex("counter (\\d+)")))
            n.push_back(std::stoi(m[1]));
        else
            FAIL("unexpected serial line: '" << line << "'");
    }
    CHECK(banners == 1);
    for (size_t i = 0; i < n.size(); ++i) REQUIRE_MESSAGE(n[i] == int(i) + 1, "line " << i);
    const std::string due = banners == 0 ? std::string("counter: working set")
                                         : "counter " + std::to_string(n.size() + 1) + "\n";
    CHECK_MESSAGE(due.rfind(unfinished, 0) == 0,
                  "the unfinished last line '" << unfinished << "' does not begin '" << due << "'");
    return n;
}

}  // namespace ptv::test
