// The job script of the disk guests (guests/include/disk_script.inc), as
// the harness builds it, and the expected-value model: from a script and
// the disk before the run, the exact serial output of disk-ata or disk-pv,
// the disk afterwards, and the exit count on each of the device's ports.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ptv/lab/devices/disk.hpp"

namespace ptv::lab::devices {

// Which of the lab's two devices, and so which guest.
enum class Which : uint8_t { Ata, Pv };

struct Request {
    enum class Op : uint32_t { Read = 1, Write = 2 };  // PTV_PVBLK_OP_*
    Op op = Op::Read;
    uint32_t lba = 0;
    uint32_t count = 1;  // 1 to 256
    uint32_t seed = 0;   // Write: the fill pattern's seed

    static Request read(uint32_t lba, uint32_t count) { return {Op::Read, lba, count, 0}; }
    static Request write(uint32_t lba, uint32_t count, uint32_t seed) {
        return {Op::Write, lba, count, seed};
    }
};

// A ring the PV device must refuse (disk-pv.asm's !KIND words).
struct BadRing {
    enum class Kind : uint8_t { Ahead, Buffer, WriteBuffer, Count, Ring, Magic, Size };
    Kind kind = Kind::Magic;
    uint32_t a = 0, b = 0;
    // The script's word, e.g. "!buffer,4026531840,1".
    std::string word() const;
    // What is wrong with it, in words.
    std::string what() const;
};

struct Step {
    enum class Kind : uint8_t { Batch, Start, Bad };
    Kind kind = Kind::Batch;
    std::vector<Request> batch;  // Batch: 1 to 16 requests
    uint32_t start = 0;          // Start: the ring's first free-running index
    BadRing bad;                 // Bad
};

struct Script {
    std::vector<Step> steps;

    Script& batch(std::vector<Request> requests);
    Script& start(uint32_t index);
    Script& bad(BadRing ring);
    // The multiboot command line the guest reads.
    std::string text() const;
    size_t requests() const;
};

// The initial contents of the disk: every byte from `seed`.
void fill_disk(Disk& disk, uint64_t seed);
// What a write request puts on the disk: dword k = (seed + k) * 0x9e3779b1.
std::vector<uint8_t> pattern(uint32_t seed, uint32_t count);
uint32_t fnv1a32(const uint8_t* bytes, size_t n);

// Exits on one port of the lab's device.
struct PortCount {
    uint64_t in = 0, out = 0;
};
using ExitTable = std::map<uint16_t, PortCount>;

struct Expected {
    std::string serial;
    std::vector<uint8_t> disk;  // afterwards
    ExitTable exits;
    // How each expected count comes about, for messages: port -> words.
    std::map<uint16_t, std::string> in_why, out_why;
    // The run must end with the device refusing a ring (the script's bad
    // step); otherwise with the guest's debug exit, status 0.
    bool device_error = false;
    std::string bad_what;
    // Per sector: the request that last wrote it ("" : never written).
    std::vector<std::string> written_by;
    uint64_t sectors_moved = 0, requests = 0, batches = 0;
};

Expected expected_run(Which which, const Script& script, const Disk& before);

// The guest's image name and the device's name.
const char* guest_name(Which which);
const char* device_name(Which which);
// The register a port of the device is, e.g. "data", "status/command".
std::string port_name(Which which, uint16_t port);

}  // namespace ptv::lab::devices
