// Key scripts: "500ms:space 1.2s:left 3s:esc", key presses at the
// machine's times, and one clear line for a bad item.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ptv/common/error.hpp"
#include "ptv/devices/key_script.hpp"

using namespace ptv;
using namespace ptv::devices;
using Script = std::vector<ScheduledKey>;

TEST_CASE("key script: times with units, keys by name, in time order") {
    CHECK(parse_key_script("500ms:space 1.2s:left 3s:esc") ==
          Script{{500'000'000, Key::Space}, {1'200'000'000, Key::Left}, {3'000'000'000, Key::Esc}});
    CHECK(parse_key_script("  2us:a,7ns:b  0.25s:enter ") ==
          Script{{7, Key::B}, {2'000, Key::A}, {250'000'000, Key::Enter}});
    // Equal times keep the script's order.
    CHECK(parse_key_script("1s:x 1s:y 0s:z") ==
          Script{{0, Key::Z}, {1'000'000'000, Key::X}, {1'000'000'000, Key::Y}});
    CHECK(parse_key_script("1.5us:up 0.0000000019s:down") ==
          Script{{1, Key::Down}, {1'500, Key::Up}});
    CHECK(parse_key_script("").empty());
}

TEST_CASE("key script: a bad item is named in one line with the expected form") {
    auto message = [](const char* script) {
        try {
            parse_key_script(script);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message("1s:a 2x:left") ==
          "bad key press \"2x:left\" in --keys: \"2x\" is not a time; write TIME:KEY items such "
          "as \"500ms:space 1.2s:left 3s:esc\" (TIME a number with ns, us, ms or s; KEY one of "
          "a-z, 0-9, space, enter, esc, backspace, tab, up, down, left, right)");
    CHECK(
        message("3s:f1").starts_with("bad key press \"3s:f1\" in --keys: no key is named \"f1\";"));
    CHECK(message("space").starts_with("bad key press \"space\" in --keys: no ':' between"));
    for (const char* bad : {":a", "s:a", "1.s:a", ".5s:a", "-1s:a", "1e3ms:a", "1s:", "1 s:a",
                            "99999999999999999s:a", "2000000s:a"}) {
        CAPTURE(bad);
        CHECK(message(bad).starts_with("bad key press"));
        CHECK(message(bad).find('\n') == std::string::npos);
    }
}
