// The asynchronous PV disk: what the device writes on the used ring for
// good and bad requests, the queues and indices it refuses, back-pressure,
// doorbells from many threads at once, requests in flight across a save
// and a load, and the disk images behind it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "async_machine.hpp"
#include "ptv/common/error.hpp"
#include "ptv/devices/disk_image.hpp"
#include "ptv/devices/pv_disk.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/motherboard.hpp"

using namespace ptv;

namespace {

constexpr uint32_t kQueue = 0x10000;
constexpr uint32_t kBuffers = 0x40000;  // sector k of the test's buffers
constexpr uint32_t kSector = PTV_ATA_SECTOR_SIZE;

uint32_t load(test::AsyncMachine& m, uint64_t gpa) {
    uint32_t v;
    std::memcpy(&v, &m.memory[gpa], 4);
    return v;
}
void store(test::AsyncMachine& m, uint64_t gpa, uint32_t v) {
    std::memcpy(&m.memory[gpa], &v, 4);
}

struct Used {
    uint32_t id, status;
    bool operator==(const Used&) const = default;
};

// The guest's side of a queue of `size` entries at kQueue.
struct Guest {
    test::AsyncMachine& m;
    devices::PvDisk& disk;
    uint32_t size;

    Guest(test::AsyncMachine& machine, devices::PvDisk& d, uint32_t s)
        : m(machine), disk(d), size(s) {
        store(m, kQueue + PTV_PVDISK_OFF_MAGIC, PTV_PVDISK_MAGIC);
        store(m, kQueue + PTV_PVDISK_OFF_SIZE, size);
    }
    vmb::Response set_queue(uint32_t gpa = kQueue) {
        uint8_t b[4];
        std::memcpy(b, &gpa, 4);
        return disk.write(vmb::Space::Pio, 0, b);
    }
    vmb::Response notify() {
        uint8_t b[4] = {};
        return disk.write(vmb::Space::Pio, PTV_PVDISK_NOTIFY_PORT - PTV_PVDISK_QUEUE_PORT, b);
    }
    uint32_t index(uint32_t off) { return load(m, kQueue + off); }
    void put(uint32_t op, uint32_t lba, uint32_t count, uint32_t buffer, uint32_t id,
             uint32_t vcpu = 0) {
        const uint32_t head = index(PTV_PVDISK_OFF_REQ_HEAD);
        const uint64_t e = kQueue + PTV_PVDISK_OFF_REQ + (head % size) * PTV_PVDISK_REQ_SIZE;
        store(m, e + PTV_PVDISK_REQ_OP, op);
        store(m, e + PTV_PVDISK_REQ_LBA, lba);
        store(m, e + PTV_PVDISK_REQ_COUNT, count);
        store(m, e + PTV_PVDISK_REQ_BUFFER, buffer);
        store(m, e + PTV_PVDISK_REQ_ID, id);
        store(m, e + PTV_PVDISK_REQ_VCPU, vcpu);
        store(m, kQueue + PTV_PVDISK_OFF_REQ_HEAD, head + 1);
    }
    void read(uint32_t lba, uint32_t id, uint32_t count = 1) {
        put(PTV_PVBLK_OP_READ, lba, count, kBuffers + id * kSector, id);
    }
    // Takes every used entry, in order.
    std::vector<Used> consume() {
        std::vector<Used> out;
        uint32_t tail = index(PTV_PVDISK_OFF_USED_TAIL);
        const uint32_t head = index(PTV_PVDISK_OFF_USED_HEAD);
        for (; tail != head; ++tail) {
            const uint64_t e = kQueue + PTV_PVDISK_OFF_REQ + size * PTV_PVDISK_REQ_SIZE +
                               (tail % size) * PTV_PVDISK_USED_SIZE;
            out.push_back({load(m, e + PTV_PVDISK_USED_ID), load(m, e + PTV_PVDISK_USED_STATUS)});
        }
        store(m, kQueue + PTV_PVDISK_OFF_USED_TAIL, tail);
        return out;
    }
    bool sector_is(uint32_t buffer, uint32_t lba) {
        for (uint32_t w = 0; w < kSector / 4; ++w)
            if (load(m, buffer + 4 * w) != PTV_PVDISK_SIM_WORD(lba, w)) return false;
        return true;
    }
};

std::string stop_message(const vmb::Response& r) {
    return r && r->kind == vmb::StopRequest::Kind::DeviceError ? r->message : "(no device error)";
}

}  // namespace

TEST_CASE("pv-disk: reads and writes, their used entries in order, completions to their vCPU") {
    test::AsyncMachine m;
    devices::PvDisk disk(m);
    vmb::VirtualMotherboard board;
    devices::PvDisk other(m);  // the disk is not the board's first device
    board.attach(other);
    disk.plug_in(board);
    CHECK(board.find(vmb::Space::Pio, PTV_PVDISK_NOTIFY_PORT)->device == &disk);
    CHECK(disk.name() == "pv-disk");
    CHECK(disk.kind() == "paravirtual");
    REQUIRE(disk.doorbells().size() == 1);
    const vmb::Doorbell d = disk.doorbells()[0];
    CHECK(d.space == vmb::Space::Pio);
    CHECK(d.address == PTV_PVDISK_NOTIFY_PORT);
    CHECK(d.size == 4);
    CHECK(d.offset == 4);
    CHECK(board.find(vmb::Space::Pio, d.address)->offset(d.address) == d.offset);

    Guest g(m, disk, 8);
    CHECK_FALSE(g.set_queue());
    uint8_t r[4] = {};
    disk.read(vmb::Space::Pio, 0, r);
    CHECK(load(m, 0) == 0);  // (RAM untouched by the read)
    uint32_t q;
    std::memcpy(&q, r, 4);
    CHECK(q == kQueue);

    g.read(0, 10);
    g.read(4095, 11);
    g.put(PTV_PVBLK_OP_READ, 100, 3, kBuffers + 12 * kSector, 12, 5);
    CHECK_FALSE(g.notify());
    CHECK(g.index(PTV_PVDISK_OFF_REQ_TAIL) == 3);
    CHECK(g.index(PTV_PVDISK_OFF_USED_HEAD) == 3);
    CHECK(g.consume() == std::vector<Used>{{10, 0}, {11, 0}, {12, 0}});
    CHECK(g.sector_is(kBuffers + 10 * kSector, 0));
    CHECK(g.sector_is(kBuffers + 11 * kSector, 4095));
    for (uint32_t s = 0; s < 3; ++s) CHECK(g.sector_is(kBuffers + (12 + s) * kSector, 100 + s));
    const auto c = m.completed();
    REQUIRE(c.size() == 3);
    CHECK(c[0].device == 1);
    CHECK(c[0].notification == 0);
    CHECK(c[0].event == PTV_EVT_PVDISK);
    CHECK(c[0].vcpu == 0);
    CHECK(c[2].vcpu == 5);

    // A write, then a read of the same sector: the disk keeps it.
    for (uint32_t w = 0; w < kSector / 4; ++w) store(m, kBuffers + w * 4, 0xabc00000 + w);
    g.put(PTV_PVBLK_OP_WRITE, 7, 1, kBuffers, 20);
    g.read(7, 21);
    CHECK_FALSE(g.notify());
    CHECK(g.consume() == std::vector<Used>{{20, 0}, {21, 0}});
    CHECK(load(m, kBuffers + 21 * kSector + 8) == 0xabc00002);
    const auto s = disk.stats();
    CHECK(s.requests == 5);
    CHECK(s.completions == 5);
    CHECK(s.errors == 0);
    CHECK(s.ring_passes == 2);
    CHECK(s.held_back == 0);
    CHECK(s.max_in_flight == 3);
    CHECK(s.ignored == 0);
    // Read transfers and the indices the device advanced are marked dirty.
    bool buffer_dirty = false;
    for (auto [gpa, bytes] : m.dirty)
        buffer_dirty |= gpa == kBuffers + 12 * kSector && bytes == 3 * kSector;
    CHECK(buffer_dirty);
}

TEST_CASE("pv-disk: a bad request completes with its error status and the rest go on") {
    test::AsyncMachine m;  // 1 MiB
    devices::PvDisk disk(m);
    Guest g(m, disk, 16);
    REQUIRE_FALSE(g.set_queue());
    const uint32_t ram = uint32_t(m.memory.size());
    g.put(7, 0, 1, kBuffers, 1);                                           // an op it does not know
    g.put(PTV_PVBLK_OP_READ, PTV_PVDISK_SIM_SECTORS, 1, kBuffers, 2);      // past the end
    g.put(PTV_PVBLK_OP_READ, PTV_PVDISK_SIM_SECTORS - 1, 2, kBuffers, 3);  // runs past it
    g.put(PTV_PVBLK_OP_READ, 0, 0, kBuffers, 4);                           // count 0
    g.put(PTV_PVBLK_OP_READ, 0, PTV_PVDISK_MAX_COUNT + 1, kBuffers, 5);    // count too big
    g.put(PTV_PVBLK_OP_READ, 0, 1, ram, 6);                                // buffer outside RAM
    g.put(PTV_PVBLK_OP_WRITE, 0, 2, ram - kSector, 7);                     // runs past RAM's end
    g.put(PTV_PVBLK_OP_READ, 0, 1, kBuffers, 8, PTV_MAX_VCPUS);            // no such vCPU
    g.put(PTV_PVBLK_OP_READ, 0xffffffff, 1, kBuffers, 9);                  // LBA wraps
    g.put(PTV_PVBLK_OP_READ, 1, PTV_PVDISK_MAX_COUNT, kBuffers, 10);       // fine: the largest
    CHECK_FALSE(g.notify());
    CHECK(g.consume() == std::vector<Used>{{1, PTV_PVBLK_S_UNSUPP},
                                           {2, PTV_PVBLK_S_IOERR},
                                           {3, PTV_PVBLK_S_IOERR},
                                           {4, PTV_PVBLK_S_IOERR},
                                           {5, PTV_PVBLK_S_IOERR},
                                           {6, PTV_PVDISK_S_BADREQ},
                                           {7, PTV_PVDISK_S_BADREQ},
                                           {8, PTV_PVDISK_S_BADREQ},
                                           {9, PTV_PVBLK_S_IOERR},
                                           {10, PTV_PVBLK_S_OK}});
    CHECK(g.sector_is(kBuffers, 1));
    CHECK(g.sector_is(kBuffers + (PTV_PVDISK_MAX_COUNT - 1) * kSector, PTV_PVDISK_MAX_COUNT));
    const auto c = m.completed();
    REQUIRE(c.size() == 10);
    CHECK(c[7].vcpu == 0);  // the bad vCPU's request is told to vCPU 0
    const auto s = disk.stats();
    CHECK(s.completions == 10);
    CHECK(s.errors == 9);
    // The failed write changed nothing on the disk.
    g.read(0, 0);
    CHECK_FALSE(g.notify());
    CHECK(g.consume() == std::vector<Used>{{0, 0}});
    CHECK(g.sector_is(kBuffers, 0));
}

TEST_CASE("pv-disk: a bad queue or bad ring indices stop the run, saying what was wrong") {
    test::AsyncMachine m;  // 1 MiB
    devices::PvDisk disk(m);
    Guest g(m, disk, 16);
    CHECK(stop_message(g.set_queue(kQueue + 0x800)) ==
          "queue address 0x10800 is not 4 KiB aligned");
    CHECK(stop_message(g.set_queue(0x100000)) ==
          "queue 0x100000 lies outside the guest's 1 MiB of RAM");
    CHECK(disk.queue() == 0);
    // Without a queue a doorbell is ignored, and counted.
    CHECK_FALSE(g.notify());
    CHECK(disk.stats().ignored == 1);

    store(m, kQueue + PTV_PVDISK_OFF_MAGIC, 0x21444142);
    CHECK(stop_message(g.set_queue()) ==
          "queue at 0x10000 has magic 0x21444142, expected 0x31445650 (\"PVD1\")");
    store(m, kQueue + PTV_PVDISK_OFF_MAGIC, PTV_PVDISK_MAGIC);
    for (uint32_t bad : {0u, 3u, 512u}) {
        CAPTURE(bad);
        store(m, kQueue + PTV_PVDISK_OFF_SIZE, bad);
        CHECK(stop_message(g.set_queue()) ==
              fmt::format("queue at 0x10000 has size {}; it must be a power of two from 1 to 256",
                          bad));
    }
    // The largest queue does not fit in RAM's last page.
    const uint32_t last = uint32_t(m.memory.size()) - 0x1000;
    store(m, last + PTV_PVDISK_OFF_MAGIC, PTV_PVDISK_MAGIC);
    store(m, last + PTV_PVDISK_OFF_SIZE, 256);
    CHECK(stop_message(g.set_queue(last)) ==
          "queue at 0xff000 of 256 entries runs past the end of RAM");
    uint8_t two[2] = {};
    CHECK(stop_message(disk.write(vmb::Space::Pio, 0, two)).find("with 2 byte(s) at offset 0") !=
          std::string::npos);

    store(m, kQueue + PTV_PVDISK_OFF_SIZE, 16);
    REQUIRE_FALSE(g.set_queue());
    // The request ring's head 1000 ahead of its tail: nothing is taken.
    store(m, kQueue + PTV_PVDISK_OFF_REQ_HEAD, 1000);
    CHECK(stop_message(g.notify()) ==
          "bad ring indices in the queue at 0x10000: req_head 1000 is 1000 ahead of req_tail 0, "
          "used_head 0 is 0 ahead of used_tail 0, on rings of 16 entries");
    CHECK(disk.stats().requests == 0);
    CHECK(g.index(PTV_PVDISK_OFF_REQ_TAIL) == 0);
    // A used_tail past the used head (the guest consumed what is not there).
    store(m, kQueue + PTV_PVDISK_OFF_REQ_HEAD, 0);
    store(m, kQueue + PTV_PVDISK_OFF_USED_TAIL, 1);
    CHECK(stop_message(g.notify()).find("used_head 0 is 4294967295 ahead of used_tail 1") !=
          std::string::npos);
    // A guest that rewrites req_tail cannot make the device take a request
    // twice: the device keeps its own.
    store(m, kQueue + PTV_PVDISK_OFF_USED_TAIL, 0);
    g.read(0, 1);
    REQUIRE_FALSE(g.notify());
    store(m, kQueue + PTV_PVDISK_OFF_REQ_TAIL, 0);
    REQUIRE_FALSE(g.notify());
    CHECK(disk.stats().requests == 1);
    // The header is looked at again on every doorbell.
    store(m, kQueue + PTV_PVDISK_OFF_SIZE, 32);
    CHECK(stop_message(g.notify()) ==
          "queue at 0x10000 changed its size from 16 to 32 while in use");
    store(m, kQueue + PTV_PVDISK_OFF_SIZE, 16);
    store(m, kQueue + PTV_PVDISK_OFF_MAGIC, 0);
    CHECK(stop_message(g.notify()).find("has magic 0x00000000") != std::string::npos);
    // 0 detaches the queue.
    CHECK_FALSE(g.set_queue(0));
    CHECK(disk.queue() == 0);
    CHECK_FALSE(g.notify());
    CHECK(disk.stats().ignored == 2);
}

TEST_CASE(
    "pv-disk: back-pressure takes no request whose completion would not fit, and loses none") {
    test::AsyncMachine m;
    m.hold = true;  // a slow disk: the jobs wait until the test runs them
    devices::PvDisk disk(m);
    Guest g(m, disk, 4);
    REQUIRE_FALSE(g.set_queue());
    constexpr uint32_t kRequests = 10;
    uint32_t put = 0;
    auto fill = [&] {  // as many as the request ring holds
        while (put < kRequests &&
               g.index(PTV_PVDISK_OFF_REQ_HEAD) - g.index(PTV_PVDISK_OFF_REQ_TAIL) < 4)
            g.read(put * 3, put), ++put;
    };
    fill();
    REQUIRE_FALSE(g.notify());
    CHECK(disk.stats().requests == 4);
    CHECK(disk.in_flight() == 4);
    CHECK(m.held_jobs() == 4);
    fill();  // 4 more on the request ring
    CHECK(put == 8);
    REQUIRE_FALSE(g.notify());  // 4 in flight: no room for a fifth completion
    CHECK(disk.stats().requests == 4);
    CHECK(disk.stats().held_back == 1);
    CHECK(m.run_jobs() == 4);
    CHECK(disk.in_flight() == 0);
    REQUIRE_FALSE(g.notify());  // 4 completions not consumed: still no room
    CHECK(disk.stats().requests == 4);
    CHECK(disk.stats().held_back == 2);

    std::vector<Used> seen = g.consume();
    CHECK(seen.size() == 4);
    for (int round = 0; round < 10 && seen.size() < kRequests; ++round) {
        fill();
        REQUIRE_FALSE(g.notify());
        m.run_jobs();
        for (const Used& u : g.consume()) seen.push_back(u);
    }
    REQUIRE(seen.size() == kRequests);
    for (uint32_t i = 0; i < kRequests; ++i) {
        CHECK(seen[i] == Used{i, 0});
        CHECK(g.sector_is(kBuffers + i * kSector, i * 3));
    }
    const auto s = disk.stats();
    CHECK(s.requests == kRequests);
    CHECK(s.completions == kRequests);
    CHECK(s.max_in_flight == 4);
    CHECK(m.completed().size() == kRequests);
}

TEST_CASE("pv-disk: doorbells rung from many threads at once take each request exactly once") {
    test::AsyncMachine m;
    devices::PvDisk disk(m);
    Guest g(m, disk, 256);
    REQUIRE_FALSE(g.set_queue());
    constexpr uint32_t kRequests = 200;
    for (uint32_t i = 0; i < kRequests; ++i)
        g.put(PTV_PVBLK_OP_READ, i, 1, kBuffers + i * kSector, i);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            for (int k = 0; k < 20; ++k) CHECK_FALSE(g.notify());
        });
    go = true;
    for (auto& t : threads) t.join();
    const auto used = g.consume();
    REQUIRE(used.size() == kRequests);
    std::set<uint32_t> ids;
    for (const Used& u : used) {
        CHECK(u.status == 0);
        ids.insert(u.id);
    }
    CHECK(ids.size() == kRequests);
    CHECK(*ids.rbegin() == kRequests - 1);
    for (uint32_t i = 0; i < kRequests; ++i) CHECK(g.sector_is(kBuffers + i * kSector, i));
    const auto s = disk.stats();
    CHECK(s.requests == kRequests);
    CHECK(s.completions == kRequests);
    CHECK(s.ring_passes == 8 * 20);
    CHECK(m.completed().size() == kRequests);
}

TEST_CASE("pv-disk: requests in flight are saved, and loaded into another machine they complete") {
    test::AsyncMachine m;
    m.hold = true;
    devices::PvDisk disk(m);
    disk.attach(devices::DiskImage::simulated(), 25'000);
    Guest g(m, disk, 8);
    REQUIRE_FALSE(g.set_queue());
    g.read(1, 0);
    REQUIRE_FALSE(g.notify());
    m.run_jobs();  // one done before the snapshot
    g.read(2, 1);
    g.put(PTV_PVBLK_OP_READ, 3, 2, kBuffers + 2 * kSector, 2, 3);
    REQUIRE_FALSE(g.notify());
    CHECK(m.latencies == std::vector<uint64_t>{25'000, 25'000, 25'000});
    CHECK(disk.in_flight() == 2);
    const nlohmann::json saved = nlohmann::json::parse(disk.save_state().dump());
    CHECK(saved["queue"] == kQueue);
    CHECK(saved["in_flight"] == nlohmann::json::parse(R"([
        {"op": 1, "lba": 2, "count": 1, "buffer": 262656, "id": 1, "vcpu": 0},
        {"op": 1, "lba": 3, "count": 2, "buffer": 263168, "id": 2, "vcpu": 3}])"));

    test::AsyncMachine m2;
    m2.memory = m.memory;  // the snapshot's RAM
    devices::PvDisk disk2(m2);
    disk2.attach(devices::DiskImage::simulated(), 0);
    disk2.load_state(saved);  // runs them at once (m2 does not hold)
    Guest g2(m2, disk2, 8);
    CHECK(g2.consume() == std::vector<Used>{{0, 0}, {1, 0}, {2, 0}});
    CHECK(g2.sector_is(kBuffers + kSector, 2));
    CHECK(g2.sector_is(kBuffers + 3 * kSector, 4));
    const auto c = m2.completed();
    REQUIRE(c.size() == 2);
    CHECK(c[1].vcpu == 3);
    CHECK(disk2.in_flight() == 0);
    // It goes on from the saved indices.
    g2.read(9, 5);
    REQUIRE_FALSE(g2.notify());
    CHECK(g2.consume() == std::vector<Used>{{5, 0}});

    devices::PvDisk disk3(m2);
    nlohmann::json bad = saved;
    bad["size"] = 3;
    CHECK_THROWS_AS(disk3.load_state(bad), std::invalid_argument);
    bad = saved;
    bad["queue"] = kQueue + 4;
    CHECK_THROWS_AS(disk3.load_state(bad), std::invalid_argument);
    bad = saved;
    for (int k = 0; k < 7; ++k) bad["in_flight"].push_back(saved["in_flight"][0]);
    CHECK_THROWS_AS(disk3.load_state(bad), std::invalid_argument);  // 9 on a queue of 8
    CHECK(disk3.queue() == 0);  // a refused record changes nothing
    CHECK(disk3.in_flight() == 0);
}

TEST_CASE("disk image: built in, every word numbered, writes kept") {
    auto d = devices::DiskImage::simulated();
    CHECK(d->sectors() == PTV_PVDISK_SIM_SECTORS);
    CHECK(d->describe() == "built-in, 4096 sectors");
    std::vector<uint8_t> buf(2 * kSector);
    d->read(4094, 2, buf);
    uint32_t w;
    std::memcpy(&w, &buf[kSector + 4 * 5], 4);
    CHECK(w == PTV_PVDISK_SIM_WORD(4095u, 5u));
    std::vector<uint8_t> ones(kSector, 0x11);
    d->write(3, 1, ones);
    d->read(3, 1, buf);
    CHECK(std::equal(ones.begin(), ones.end(), buf.begin()));
    CHECK_THROWS_AS(d->read(4095, 2, buf), std::out_of_range);
    CHECK_THROWS_AS(d->read(0, 3, buf), std::out_of_range);  // the buffer is too small
    CHECK(devices::DiskImage::simulated(8)->describe() == "built-in, 8 sectors");
}

TEST_CASE("disk image: a file, read and written in place, and the files it refuses") {
    char path[] = "/tmp/ptv-disk-image-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    struct Remove {
        const char* p;
        ~Remove() { std::remove(p); }
    } remove_it{path};
    std::vector<uint8_t> bytes(8 * kSector);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i * 7);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
    ::close(fd);

    auto d = devices::DiskImage::open(path);
    CHECK(d->sectors() == 8);
    CHECK(d->describe() == path);
    std::vector<uint8_t> buf(kSector);
    d->read(5, 1, buf);
    CHECK(std::equal(buf.begin(), buf.end(), bytes.begin() + 5 * kSector));
    std::vector<uint8_t> twos(kSector, 0x22);
    d->write(7, 1, twos);
    CHECK_THROWS_AS(d->write(8, 1, twos), std::out_of_range);

    // Through the PV disk: a read lands in RAM, a write in the file.
    test::AsyncMachine m;
    devices::PvDisk disk(m);
    disk.attach(d, 0);
    CHECK(disk.disk().describe() == path);
    Guest g(m, disk, 4);
    REQUIRE_FALSE(g.set_queue());
    g.read(7, 0);
    std::memset(&m.memory[kBuffers + kSector], 0x33, kSector);
    g.put(PTV_PVBLK_OP_WRITE, 2, 1, kBuffers + kSector, 1);
    g.read(8, 2);  // one past the end of this disk
    REQUIRE_FALSE(g.notify());
    CHECK(g.consume() == std::vector<Used>{{0, 0}, {1, 0}, {2, PTV_PVBLK_S_IOERR}});
    CHECK(m.memory[kBuffers + 100] == 0x22);
    d.reset();
    disk.attach(devices::DiskImage::simulated(), 0);  // closes the file
    std::vector<uint8_t> back(8 * kSector);
    const int rfd = ::open(path, O_RDONLY);
    REQUIRE(::read(rfd, back.data(), back.size()) == ssize_t(back.size()));
    ::close(rfd);
    CHECK(back[2 * kSector] == 0x33);
    CHECK(back[7 * kSector + 511] == 0x22);
    CHECK(back[0] == bytes[0]);

    // The files it refuses: one line each, saying what to do.
    auto refused = [](const std::string& p) -> std::string {
        try {
            devices::DiskImage::open(p);
        } catch (const UsageError& e) {
            return e.what();
        }
        return "(accepted)";
    };
    const std::string missing = std::string(path) + "-missing";
    CHECK(refused(missing) == "disk image " + missing +
                                  ": cannot open it for reading and writing (No such file or "
                                  "directory); give an existing image file you may write");
    ::truncate(path, 1000);
    CHECK(refused(path) == std::string("disk image ") + path +
                               ": its size, 1000 bytes, is not a positive multiple of 512; give a "
                               "whole number of sectors (truncate -s)");
    ::truncate(path, 0);
    CHECK(refused(path).find("its size, 0 bytes") != std::string::npos);
    CHECK(refused("/tmp").find("disk image /tmp: ") == 0);
    CHECK(refused(path).find('\n') == std::string::npos);
}
