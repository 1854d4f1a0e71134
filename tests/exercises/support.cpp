#include "support.hpp"

#include <doctest/doctest.h>

#include <sstream>

namespace ptv::test::exercises {

Completed run_ptv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {bin("ptv")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, 120);
}

Completed export_bank(const std::string& module, int count, uint64_t seed,
                      const std::string& format) {
    return run_ptv({"exercises", "export", "--module", module, "--count", std::to_string(count),
                    "-s", std::to_string(seed), "--format", format});
}

nlohmann::json bank(const std::string& module, int count, uint64_t seed) {
    const Completed c = export_bank(module, count, seed);
    INFO(c.err);
    REQUIRE(c.status == 0);
    return nlohmann::json::parse(c.out);
}

nlohmann::json run_command(const std::string& command) {
    std::istringstream in(command);
    std::string word;
    std::vector<std::string> args;
    in >> word;
    REQUIRE(word == "ptv");
    while (in >> word) args.push_back(word);
    args.push_back("--json");
    const Completed c = run_ptv(args);
    INFO(command, c.err);
    REQUIRE(c.status == 0);
    return nlohmann::json::parse(c.out);
}

size_t lines(const std::string& text) {
    size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

}  // namespace ptv::test::exercises
