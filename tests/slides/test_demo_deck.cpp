// How `ptv demo` reads a deck (cli/src/demo_deck.cpp): which code blocks are
// demos, what a demo line may be, and how a lecture is named.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "demo_deck.hpp"
#include "process.hpp"
#include "ptv/common/error.hpp"

using ptv::cli::parse_demos;

namespace {

std::vector<ptv::cli::DemoStep> parse(const std::string& deck) {
    std::istringstream in(deck);
    return parse_demos(in, "deck.md");
}

std::string error_of(const std::string& deck) {
    try {
        parse(deck);
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a demo block's lines are its steps, in order, with their deck lines") {
    auto steps = parse(
        "# Title\n"
        "```sh\nptv not-a-demo\n```\n"
        "```sh demo\n"
        "ptv threads sim -s 1 -c\n"
        "\n"
        "# a comment the instructor reads aloud\n"
        "  ptv servers sim -c  \n"
        "```\n"
        "text\n"
        "```sh demo kvm\n"
        "ptv kvm run hello\n"
        "```\n");
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].command == "ptv threads sim -s 1 -c");
    CHECK(steps[0].line == 6);
    CHECK_FALSE(steps[0].needs_kvm);
    CHECK(steps[1].command == "ptv servers sim -c");
    CHECK(steps[1].line == 9);
    CHECK(steps[2].command == "ptv kvm run hello");
    CHECK(steps[2].needs_kvm);
    CHECK(steps[2].line == 13);
}

TEST_CASE("a longer fence holds a shorter one: a deck can show how a demo block is written") {
    auto steps = parse(
        "````md\n"
        "```sh demo\n"
        "ptv shown-not-run\n"
        "```\n"
        "````\n"
        "```sh demo\n"
        "ptv migrate sim -s 2 -c\n"
        "```\n");
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].command == "ptv migrate sim -s 2 -c");
    CHECK(steps[0].line == 7);
}

TEST_CASE("a deck without demo blocks has no steps") {
    CHECK(parse("# Title\n\n```cpp\nint main() {}\n```\n").empty());
}

TEST_CASE("a demo line that is not a ptv command is refused with its line") {
    CHECK(error_of("```sh demo\nptv kvm guests\nrm -rf /tmp/x\n```\n") ==
          "deck.md:3: a demo line is one ptv command as typed ('ptv ...'), not 'rm -rf /tmp/x'");
    CHECK(error_of("```sh demo\nbuild/bin/ptv kvm guests\n```\n").find("deck.md:2:") == 0);
}

TEST_CASE("a demo block that is never closed is refused with the line it opens on") {
    CHECK(error_of("x\n```sh demo\nptv kvm guests\n") ==
          "deck.md:2: this code block is never closed; end it with ```");
}

TEST_CASE("a lecture is named by its number or its name") {
    ptv::test::TempDir dir;
    for (auto name :
         {"01-processes-and-threads.md", "02-virtualization.md", "README.md", "notes.txt"})
        std::ofstream(dir.file(name)) << "# x\n";
    CHECK(ptv::cli::lecture_names(dir.path) ==
          std::vector<std::string>{"01-processes-and-threads", "02-virtualization"});
    CHECK(ptv::cli::resolve_lecture(dir.path, "1") == "01-processes-and-threads");
    CHECK(ptv::cli::resolve_lecture(dir.path, "02") == "02-virtualization");
    CHECK(ptv::cli::resolve_lecture(dir.path, "virtualization") == "02-virtualization");
    CHECK(ptv::cli::resolve_lecture(dir.path, "01-processes-and-threads") ==
          "01-processes-and-threads");
    for (auto bad : {"9", "nonsense", "", "001", "README"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(ptv::cli::resolve_lecture(dir.path, bad),
                             (std::string("no lecture '") + bad +
                              "'; lectures: 01-processes-and-threads, 02-virtualization (by "
                              "number or name)")
                                 .c_str(),
                             ptv::UsageError);
    }
}
