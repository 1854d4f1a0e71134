#include "script.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstring>

#include "ptv/common/rng.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

constexpr uint32_t kPatternMultiplier = 0x9e3779b1;  // disk_script.inc's
constexpr uint32_t kRingSlots = 16;                  // disk-pv.asm's PV_RING_SIZE

std::string hex8(uint32_t v) {
    return fmt::format("0x{:08x}", v);
}

const char* op_name(Request::Op op) {
    return op == Request::Op::Write ? "write" : "read";
}

}  // namespace

std::string BadRing::word() const {
    switch (kind) {
        case Kind::Ahead:
            return fmt::format("!ahead,{}", a);
        case Kind::Buffer:
            return fmt::format("!buffer,{},{}", a, b);
        case Kind::WriteBuffer:
            return fmt::format("!wbuffer,{},{}", a, b);
        case Kind::Count:
            return fmt::format("!count,{}", a);
        case Kind::Ring:
            return fmt::format("!ring,{}", a);
        case Kind::Magic:
            return "!magic";
        case Kind::Size:
            return fmt::format("!size,{}", a);
    }
    return "";
}

std::string BadRing::what() const {
    switch (kind) {
        case Kind::Ahead:
            return fmt::format(
                "head runs {} request(s) past a full ring of {} (indices running "
                "ahead)",
                a, kRingSlots);
        case Kind::Buffer:
            return fmt::format(
                "a read request's buffer {:#x} of {} sector(s) is not inside guest RAM", a, b);
        case Kind::WriteBuffer:
            return fmt::format(
                "a write request's buffer {:#x} of {} sector(s) is not inside guest RAM (the "
                "device would read outside it)",
                a, b);
        case Kind::Count:
            return fmt::format("a request asks for {} sectors (1 to {} may be asked for)", a,
                               PTV_PVBLK_MAX_COUNT);
        case Kind::Ring:
            return fmt::format("the doorbell names {:#x}, no ring inside guest RAM", a);
        case Kind::Magic:
            return "the ring's magic is \"BAD!\", not \"PVB1\"";
        case Kind::Size:
            return fmt::format("the ring's size is {}, not a power of two from 1 to {}", a,
                               PTV_PVBLK_MAX_SIZE);
    }
    return "";
}

Script& Script::batch(std::vector<Request> requests) {
    Step s;
    s.kind = Step::Kind::Batch;
    s.batch = std::move(requests);
    steps.push_back(std::move(s));
    return *this;
}

Script& Script::start(uint32_t index) {
    Step s;
    s.kind = Step::Kind::Start;
    s.start = index;
    steps.push_back(std::move(s));
    return *this;
}

Script& Script::bad(BadRing ring) {
    Step s;
    s.kind = Step::Kind::Bad;
    s.bad = ring;
    steps.push_back(std::move(s));
    return *this;
}

std::string Script::text() const {
    std::string t;
    for (const Step& s : steps) {
        if (!t.empty()) t += ' ';
        switch (s.kind) {
            case Step::Kind::Batch:
                for (size_t i = 0; i < s.batch.size(); ++i) {
                    const Request& r = s.batch[i];
                    if (i) t += '+';
                    if (r.op == Request::Op::Read)
                        t += fmt::format("r{},{}", r.lba, r.count);
                    else
                        t += fmt::format("w{},{},{}", r.lba, r.count, r.seed);
                }
                break;
            case Step::Kind::Start:
                t += fmt::format("s{}", s.start);
                break;
            case Step::Kind::Bad:
                t += s.bad.word();
                break;
        }
    }
    return t;
}

size_t Script::requests() const {
    size_t n = 0;
    for (const Step& s : steps) n += s.batch.size();
    return n;
}

void fill_disk(Disk& disk, uint64_t seed) {
    SplitMix64 rng(seed);
    auto bytes = disk.bytes();
    for (size_t i = 0; i < bytes.size(); i += 8) {
        const uint64_t v = rng.next();
        std::memcpy(bytes.data() + i, &v, std::min<size_t>(8, bytes.size() - i));
    }
}

std::vector<uint8_t> pattern(uint32_t seed, uint32_t count) {
    std::vector<uint8_t> data(size_t(count) * Disk::kSectorSize);
    for (size_t k = 0; k < data.size() / 4; ++k) {
        const uint32_t v = (seed + uint32_t(k)) * kPatternMultiplier;
        std::memcpy(data.data() + 4 * k, &v, 4);
    }
    return data;
}

uint32_t fnv1a32(const uint8_t* bytes, size_t n) {
    uint32_t h = 0x811c9dc5;
    for (size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 0x01000193;
    return h;
}

const char* guest_name(Which which) {
    return which == Which::Ata ? "disk-ata" : "disk-pv";
}

const char* device_name(Which which) {
    return which == Which::Ata ? "ata-disk" : "pv-block";
}

std::string port_name(Which which, uint16_t port) {
    if (which == Which::Pv)
        return port == PTV_PVBLK_DOORBELL_PORT ? "doorbell" : "not a port of the device";
    static const char* names[] = {"data",    "error/features", "sector count", "LBA low",
                                  "LBA mid", "LBA high",       "drive/head",   "status/command"};
    if (port >= PTV_ATA_BASE && port < PTV_ATA_BASE + PTV_ATA_SIZE)
        return names[port - PTV_ATA_BASE];
    return "not a port of the device";
}

Expected expected_run(Which which, const Script& script, const Disk& before) {
    Expected e;
    e.disk.assign(before.bytes().begin(), before.bytes().end());
    e.written_by.assign(before.sectors(), "");
    uint64_t sectors_read = 0, sectors_written = 0, polls = 0, refused = 0;
    uint32_t n = 0;  // the guest's request number
    auto line = [&](const Request& r, const std::string& tail) {
        e.serial +=
            fmt::format("req {}: {} lba {} count {} {}\n", n, op_name(r.op), r.lba, r.count, tail);
    };
    // One request, as either guest does it; false: the disk refused it.
    auto run = [&](const Request& r) {
        ++n;
        const bool fits = before.contains(r.lba, r.count);
        if (!fits) {
            if (which == Which::Ata)
                line(r, fmt::format("error: status {} error {}",
                                    hex8(PTV_ATA_SR_DRDY | PTV_ATA_SR_ERR), hex8(PTV_ATA_ER_IDNF)));
            else
                line(r, fmt::format("status {}", PTV_PVBLK_S_IOERR));
            ++refused;
            return;
        }
        uint8_t* at = e.disk.data() + size_t(r.lba) * Disk::kSectorSize;
        const size_t bytes = size_t(r.count) * Disk::kSectorSize;
        if (r.op == Request::Op::Read) {
            line(r, "fnv " + hex8(fnv1a32(at, bytes)));
            sectors_read += r.count;
        } else {
            const std::vector<uint8_t> data = pattern(r.seed, r.count);
            std::memcpy(at, data.data(), bytes);
            for (uint32_t i = 0; i < r.count; ++i)
                e.written_by[r.lba + i] = fmt::format("req {}", n);
            line(r, "fnv " + hex8(fnv1a32(data.data(), bytes)));
            sectors_written += r.count;
        }
        polls += r.count + 1;
        e.sectors_moved += r.count;
    };

    uint64_t doorbells = 0;
    for (const Step& s : script.steps) {
        if (s.kind == Step::Kind::Batch) {
            for (const Request& r : s.batch) run(r);
            ++doorbells;
            ++e.batches;
        } else if (s.kind == Step::Kind::Bad) {
            e.serial += "bad ring: " + s.bad.word() + "\n";
            e.device_error = true;
            e.bad_what = s.bad.what();
            ++doorbells;
            break;  // the VM stops at its doorbell
        }
    }
    e.requests = n;

    if (which == Which::Ata) {
        if (!e.device_error) e.serial += fmt::format("disk-ata: {} requests\n", n);
        const uint16_t base = PTV_ATA_BASE;
        e.exits[base + PTV_ATA_REG_DATA] = {sectors_read * 256, sectors_written * 256};
        e.in_why[base + PTV_ATA_REG_DATA] = fmt::format(
            "one IN per 16-bit word: 256 per sector read, {} sector(s) read", sectors_read);
        e.out_why[base + PTV_ATA_REG_DATA] =
            fmt::format("one OUT per 16-bit word: 256 per sector written, {} sector(s) written",
                        sectors_written);
        for (uint16_t reg = PTV_ATA_REG_COUNT; reg <= PTV_ATA_REG_DRIVE; ++reg) {
            e.exits[base + reg] = {0, n};
            e.out_why[base + reg] = fmt::format("one OUT per request, {} request(s)", n);
        }
        e.exits[base + PTV_ATA_REG_STATUS] = {polls + refused, n};
        e.in_why[base + PTV_ATA_REG_STATUS] = fmt::format(
            "one poll per sector, since the disk is ready at the first poll, plus one at the end "
            "of each request: {} sector(s) + {} request(s){}",
            e.sectors_moved, n - refused,
            refused ? fmt::format(", and one per refused request: {}", refused) : "");
        e.out_why[base + PTV_ATA_REG_STATUS] =
            fmt::format("one command per request, {} request(s)", n);
        e.exits[base + PTV_ATA_REG_ERROR] = {refused, 0};
        e.in_why[base + PTV_ATA_REG_ERROR] =
            fmt::format("one IN per refused request (ERR set), {} refused", refused);
    } else {
        if (!e.device_error)
            e.serial += fmt::format("disk-pv: {} requests in {} doorbells\n", n, e.batches);
        e.exits[PTV_PVBLK_DOORBELL_PORT] = {0, doorbells};
        e.out_why[PTV_PVBLK_DOORBELL_PORT] =
            fmt::format("one doorbell per batch, {} batch(es){}", e.batches,
                        e.device_error ? ", and the bad ring's" : "");
    }
    return e;
}

}  // namespace ptv::lab::devices
