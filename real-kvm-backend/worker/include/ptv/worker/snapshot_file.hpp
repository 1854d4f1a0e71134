// The snapshot on disk: one directory per snapshot, written by a worker (a
// running VM's checkpoint) and read by a worker (restore), by the management
// service (to list and check them without KVM), and by live migration (the
// same state, sent over a socket instead of a file).
//
//   DIR/state.json   {"format":"ptvlab-snapshot","version":1,"vm":...,
//                     "memory":{"file":"memory.bin","bytes":N,"hash":"0x..."},
//                     "vcpus":[{"id":0,"sections":{"regs":"<hex>",...}}],
//                     "devices":{...}, ...}   (small: a few KiB)
//   DIR/memory.bin   guest RAM, byte for byte from guest-physical 0
//
// A snapshot is written into DIR.tmp-PID and renamed into place only when
// both files are whole, so a full disk or a crash mid-write never leaves a
// half-written snapshot, and an older snapshot of the same name survives
// until the new one is complete. No KVM types here: vCPU state travels as
// named byte sections (vid::VcpuState::sections()).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptv::worker {

inline constexpr const char* kSnapshotFormat = "ptvlab-snapshot";
inline constexpr int kSnapshotVersion = 1;
inline constexpr const char* kSnapshotStateFile = "state.json";
inline constexpr const char* kSnapshotMemoryFile = "memory.bin";

// A snapshot that cannot be written or is not fit to restore; what() is one
// line naming the snapshot and what is wrong with it.
class SnapshotError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Writes the snapshot atomically (see above). Fills in state["format"],
// ["version"] and ["memory"]. Throws SnapshotError (and leaves no temporary
// directory) if it cannot.
void write_snapshot(const std::string& dir, nlohmann::json state, std::span<const uint8_t> memory);

// Reads and checks DIR/state.json: format, version, the fields a restore
// needs, and that the memory file has the size the state says. Throws
// SnapshotError ("snapshot DIR is corrupt: ...").
nlohmann::json read_snapshot_state(const std::string& dir);

// Reads the memory file into `into` (which must have the recorded size) and
// checks its hash. Throws SnapshotError.
void read_snapshot_memory(const std::string& dir, const nlohmann::json& state,
                          std::span<uint8_t> into);

std::string hex_encode(std::span<const uint8_t> bytes);
// Throws std::invalid_argument on an odd length or a non-hex digit.
std::vector<uint8_t> hex_decode(const std::string& text);

}  // namespace ptv::worker
