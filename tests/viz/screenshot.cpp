#include "screenshot.hpp"

#include <stb_image.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

namespace ptv::test {

namespace {
constexpr uint32_t kBackground = 0x0f0f0f;  // ImGui's dark window background
}

uint32_t Screenshot::at(int x, int y) const {
    const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
    return uint32_t(rgb[i]) << 16 | uint32_t(rgb[i + 1]) << 8 | rgb[i + 2];
}

size_t Screenshot::busy(const nlohmann::json& r) const {
    size_t n = 0;
    for (int y = int(r[1].get<double>()); y < int(r[1].get<double>() + r[3].get<double>()); ++y)
        for (int x = int(r[0].get<double>()); x < int(r[0].get<double>() + r[2].get<double>()); ++x)
            if (x >= 0 && y >= 0 && x < width && y < height) {
                const uint32_t c = at(x, y);
                // Near-background greys (grid lines, track shading) do not count.
                const int r8 = int(c >> 16), g8 = int((c >> 8) & 255), b8 = int(c & 255);
                n += c != kBackground && (std::max({r8, g8, b8}) - std::min({r8, g8, b8}) > 40 ||
                                          std::max({r8, g8, b8}) > 120);
            }
    return n;
}

size_t Screenshot::colours(const nlohmann::json& r) const {
    std::set<uint32_t> seen;
    for (int y = int(r[1].get<double>()); y < int(r[1].get<double>() + r[3].get<double>()); ++y)
        for (int x = int(r[0].get<double>()); x < int(r[0].get<double>() + r[2].get<double>()); ++x)
            if (x >= 0 && y >= 0 && x < width && y < height) seen.insert(at(x, y));
    return seen.size();
}

Screenshot screenshot(const std::vector<std::string>& args, const TempDir& dir, bool raw) {
    Screenshot s;
    const std::string png = dir.file("shot.png"), layout = dir.file("layout.json");
    std::vector<std::string> argv = {"/usr/bin/xvfb-run", "-a", "-s", "-screen 0 1280x720x24",
                                     bin("ptv")};
    if (!raw) argv.push_back("viz");
    argv.insert(argv.end(), args.begin(), args.end());
    if (!raw)
        argv.insert(argv.end(), {"--screenshot", png, "--layout", layout, "--size", "1280x720"});
    ::unlink(png.c_str());
    // Mesa and X11 keep allocations until exit: under `make sanitize` they
    // are not our leaks.
    s.run = run(argv, {{"ASAN_OPTIONS", "detect_leaks=0"}}, 90);
    int n = 0;
    if (unsigned char* data = stbi_load(png.c_str(), &s.width, &s.height, &n, 3)) {
        s.rgb.assign(data, data + size_t(s.width) * size_t(s.height) * 3);
        stbi_image_free(data);
    }
    if (FILE* f = std::fopen(layout.c_str(), "r")) {
        std::fclose(f);
        std::ifstream in(layout);
        s.layout = nlohmann::json::parse(in, nullptr, false);
    }
    return s;
}

}  // namespace ptv::test
