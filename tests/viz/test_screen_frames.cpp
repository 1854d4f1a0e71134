// The VGA console's frames in a trace file: parsed exactly, ordered by time,
// the frame shown at a time, and bad records left out with a clear line.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "ptv/viz/screen.hpp"

using namespace ptv;
using namespace ptv::viz;

namespace {

// A trace file of its own, removed when the test ends.
struct TraceFile {
    std::string path;
    explicit TraceFile(const std::string& text) {
        char name[] = "/tmp/ptv-viz-screen-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path) << text;
    }
    ~TraceFile() { ::unlink(path.c_str()); }
};

std::string frame_event(double ts, const nlohmann::json& args) {
    return fmt::format(
        "{{\"args\":{},\"cat\":\"vga\",\"name\":\"screen\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
        "\"tid\":103,\"ts\":{}}}",
        args.dump(), ts);
}

VgaScreen screen_with(std::string_view text, uint8_t attr, int cursor_col) {
    VgaScreen s;
    for (size_t i = 0; i < text.size(); ++i) s.at(0, int(i)) = {uint8_t(text[i]), attr};
    s.cursor_row = 0;
    s.cursor_col = cursor_col;
    s.cursor_visible = true;
    return s;
}

}  // namespace

TEST_CASE("screen frames: parsed exactly from a trace file, ordered by time") {
    VgaScreen boot = screen_with("booting", 0x07, 7);
    VgaScreen title = screen_with("\xC9\xCD SPACE INVADERS \xCD\xBB", 0x1E, 0);
    title.at(24, 79) = {0xDB, 0x0A};
    title.cursor_visible = false;
    // Written out of order, with an exit and an unrelated "vga" event between.
    const TraceFile file(
        "{\"traceEvents\":[\n"
        "{\"args\":{\"name\":\"vga (emulated)\"},\"name\":\"thread_name\",\"ph\":\"M\","
        "\"pid\":1,\"tid\":103},\n" +
        frame_event(200.5, screen_to_json(title)) + ",\n" +
        "{\"args\":{\"port\":\"0x3d4\"},\"cat\":\"vmexit\",\"dur\":1,\"name\":\"io\",\"ph\":\"X\","
        "\"pid\":1,\"tid\":1,\"ts\":150}," +
        "{\"cat\":\"vga\",\"name\":\"resize\",\"ph\":\"i\",\"pid\":1,\"tid\":103,\"ts\":160},\n" +
        frame_event(100.25, screen_to_json(boot)) + "\n],\"metadata\":{}}\n");
    const TraceModel m = load_file(file.path);
    REQUIRE(m.error.empty());
    const ScreenFrames f = screen_frames(m);
    CHECK(f.rejected.empty());
    REQUIRE(f.frames.size() == 2);
    CHECK(f.frames[0].ts == 100.25);
    CHECK(f.frames[0].screen == boot);
    CHECK(f.frames[1].ts == 200.5);
    CHECK(f.frames[1].screen == title);
    CHECK(m.str(m.events()[f.frames[1].event].name) == "screen");
    CHECK(m.tracks()[m.events()[f.frames[1].event].track].name == "vga (emulated)");
    const std::string text = screen_text(f.frames[1].screen);
    CHECK(text.substr(0, text.find('\n')) == "\u2554\u2550 SPACE INVADERS \u2550\u2557");

    // The frame on screen at a time: the last at or before it.
    CHECK(frame_at(f, 50) == nullptr);
    CHECK(frame_at(f, 100.25) == &f.frames[0]);
    CHECK(frame_at(f, 150) == &f.frames[0]);
    CHECK(frame_at(f, 200.5) == &f.frames[1]);
    CHECK(frame_at(f, 1e9) == &f.frames[1]);
    CHECK(frame_at(ScreenFrames{}, 10) == nullptr);
}

TEST_CASE("screen frames: a bad record is left out with a line saying what is wrong") {
    auto long_row = screen_to_json(VgaScreen{});
    long_row["text"][3] = std::string(81, 'x');
    auto no_cursor = screen_to_json(VgaScreen{});
    no_cursor.erase("cursor");
    const TraceFile file("{\"traceEvents\":[\n" + frame_event(10, long_row) + ",\n" +
                         frame_event(20, screen_to_json(VgaScreen{})) + ",\n" +
                         frame_event(30, no_cursor) + ",\n" +
                         "{\"cat\":\"vga\",\"name\":\"screen\",\"ph\":\"i\",\"pid\":1,\"tid\":103,"
                         "\"ts\":40}\n]}\n");
    const ScreenFrames f = screen_frames(load_file(file.path));
    REQUIRE(f.frames.size() == 1);
    CHECK(f.frames[0].ts == 20);
    CHECK(f.frames[0].screen == VgaScreen{});
    CHECK(f.rejected == std::vector<std::string>{
                            "vga screen at 10.0 us: vga screen record: text row 3 is longer than "
                            "80 characters",
                            "vga screen at 30.0 us: vga screen record: no \"cursor\"",
                            "vga screen at 40.0 us: vga screen record: not an object",
                        });
}

TEST_CASE("screen frames: a trace without any is empty, not an error") {
    const TraceFile file(
        "{\"traceEvents\":[{\"cat\":\"vmexit\",\"name\":\"io\",\"ph\":\"X\",\"pid\":1,\"tid\":1,"
        "\"ts\":1,\"dur\":1}]}");
    const ScreenFrames f = screen_frames(load_file(file.path));
    CHECK(f.frames.empty());
    CHECK(f.rejected.empty());
}

TEST_CASE("screen frames: a live model's new frames are added, the old ones decoded once") {
    auto bad = screen_to_json(VgaScreen{});
    bad["attr"] = "07";
    TraceModel m;
    REQUIRE(m.add_line(frame_event(10, bad)));
    REQUIRE(m.add_line(frame_event(20, screen_to_json(screen_with("one", 0x07, 3)))));
    m.finish();
    ScreenFrames f;
    add_screen_frames(f, m);
    CHECK(f.frames.size() == 1);
    CHECK(f.rejected.size() == 1);
    CHECK(f.scanned == 2);

    const VgaScreen two = screen_with("two", 0x1E, 3);
    REQUIRE(m.add_line(frame_event(30, screen_to_json(two))));
    REQUIRE(m.add_line(frame_event(15, screen_to_json(VgaScreen{}))));  // late, out of order
    m.finish();
    add_screen_frames(f, m);
    CHECK(f.rejected.size() == 1);  // not reported again
    REQUIRE(f.frames.size() == 3);
    CHECK(f.frames[0].ts == 15);
    CHECK(f.frames[1].ts == 20);
    CHECK(f.frames[2].ts == 30);
    CHECK(f.frames[2].screen == two);
    add_screen_frames(f, m);  // nothing new: nothing changes
    CHECK(f.frames.size() == 3);
}
