// Runs `ptv viz ... --screenshot` under Xvfb (xvfb-run) and reads back the
// PNG and the layout (where the views drew), so tests check structure, not
// exact pixels.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace ptv::test {

struct Screenshot {
    Completed run;
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // empty when no PNG was written
    nlohmann::json layout;

    // Pixel (r, g, b) at (x, y).
    uint32_t at(int x, int y) const;
    // Pixels in a rect [x, y, w, h] that differ from the background, and
    // how many distinct colours it holds.
    size_t busy(const nlohmann::json& rect) const;
    size_t colours(const nlohmann::json& rect) const;
};

// `ptv viz ARGS --screenshot OUT --layout L --size 1280x720` under xvfb-run,
// or `ptv ARGS` (e.g. kvm run GUEST --viz-screenshot OUT) with raw = true.
Screenshot screenshot(const std::vector<std::string>& args, const TempDir& dir, bool raw = false);

}  // namespace ptv::test
