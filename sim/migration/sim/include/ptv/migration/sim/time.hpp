// The simulator's clock: exact integer time, so every answer is exact.
//
// One unit (u) is 1 / (B x 10^6) s for a bandwidth of B pages/s, so that
//   - sending one page takes exactly 10^6 u (kPageTime),
//   - one microsecond is exactly B u,
//   - by time t (seconds) a model writing R pages/s has written floor(t R)
//     pages: write j (1-based) happens at ceil(j B 10^6 / R) u.
// Times fit in int64 for B up to 10^7 pages/s and ~900 s of simulated time.
#pragma once

#include <cstdint>

namespace ptv::migration::sim {

using Time = int64_t;
inline constexpr Time kPageTime = 1'000'000;  // u per page sent
inline constexpr Time kNever = INT64_MAX;

// Seconds of a time in u at B pages/s.
// One division each, so that whole values come out whole (1001 ms, not
// 1000.9999...).
inline double seconds(Time t, uint64_t bandwidth) {
    return double(t) / (double(bandwidth) * 1e6);
}
inline double milliseconds(Time t, uint64_t bandwidth) {
    return double(t) / (double(bandwidth) * 1e3);
}
inline double microseconds(Time t, uint64_t bandwidth) {
    return double(t) / double(bandwidth);
}

}  // namespace ptv::migration::sim
