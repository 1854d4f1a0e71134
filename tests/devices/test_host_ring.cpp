// The host request ring: requests the host's clients send going on the
// ring in guest RAM, the guest's answers coming back to the client that
// asked (matched by id, in any order), the queues, indices and responses
// the device refuses, back-pressure through the host's FIFO, and sends
// from many threads while the guest serves.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "async_machine.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/motherboard.hpp"

using namespace ptv;
using devices::HostRing;

namespace {

constexpr uint32_t kQueue = 0x10000;
constexpr uint32_t kAnswers = 0x40000;  // the test guest's answer buffers, 16 bytes each

uint32_t load(test::AsyncMachine& m, uint64_t gpa) {
    return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(&m.memory[gpa]))
        .load(std::memory_order_acquire);
}
void store(test::AsyncMachine& m, uint64_t gpa, uint32_t v) {
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(&m.memory[gpa]))
        .store(v, std::memory_order_release);
}

struct Taken {
    uint32_t id, op;
    std::string data;
};

// The guest's side of a queue of `size` entries at kQueue.
struct Guest {
    test::AsyncMachine& m;
    HostRing& ring;
    uint32_t size;

    Guest(test::AsyncMachine& machine, HostRing& r, uint32_t s, uint32_t vcpu = 0)
        : m(machine), ring(r), size(s) {
        store(m, kQueue + PTV_HOSTRING_OFF_MAGIC, PTV_HOSTRING_MAGIC);
        store(m, kQueue + PTV_HOSTRING_OFF_SIZE, size);
        store(m, kQueue + PTV_HOSTRING_OFF_VCPU, vcpu);
    }
    vmb::Response set_queue(uint32_t gpa = kQueue) {
        uint8_t b[4];
        std::memcpy(b, &gpa, 4);
        return ring.write(vmb::Space::Pio, 0, b);
    }
    vmb::Response doorbell() {
        uint8_t b[4] = {};
        return ring.write(vmb::Space::Pio, PTV_HOSTRING_NOTIFY_PORT - PTV_HOSTRING_QUEUE_PORT, b);
    }
    uint32_t index(uint32_t off) { return load(m, kQueue + off); }
    // Takes every request the host has put, in order.
    std::vector<Taken> take() {
        std::vector<Taken> out;
        uint32_t tail = index(PTV_HOSTRING_OFF_REQ_TAIL);
        const uint32_t head = index(PTV_HOSTRING_OFF_REQ_HEAD);
        for (; tail != head; ++tail) {
            const uint64_t e =
                kQueue + PTV_HOSTRING_OFF_REQ + (tail % size) * PTV_HOSTRING_REQ_SIZE;
            const uint32_t length = load(m, e + PTV_HOSTRING_REQ_LENGTH);
            REQUIRE(length <= PTV_HOSTRING_REQ_DATA_MAX);
            out.push_back(
                {load(m, e + PTV_HOSTRING_REQ_ID), load(m, e + PTV_HOSTRING_REQ_OP),
                 std::string(reinterpret_cast<const char*>(&m.memory[e + PTV_HOSTRING_REQ_DATA]),
                             length)});
        }
        store(m, kQueue + PTV_HOSTRING_OFF_REQ_TAIL, tail);
        return out;
    }
    // Writes a response (not yet published) at resp_head + `ahead`.
    void respond_raw(uint32_t ahead, uint32_t id, uint32_t status, uint32_t buffer,
                     uint32_t length) {
        const uint32_t head = index(PTV_HOSTRING_OFF_RESP_HEAD) + ahead;
        const uint64_t e = kQueue + PTV_HOSTRING_OFF_REQ + size * PTV_HOSTRING_REQ_SIZE +
                           (head % size) * PTV_HOSTRING_RESP_SIZE;
        store(m, e + PTV_HOSTRING_RESP_ID, id);
        store(m, e + PTV_HOSTRING_RESP_STATUS, status);
        store(m, e + PTV_HOSTRING_RESP_BUFFER, buffer);
        store(m, e + PTV_HOSTRING_RESP_LENGTH, length);
    }
    void publish(uint32_t n) {
        store(m, kQueue + PTV_HOSTRING_OFF_RESP_HEAD, index(PTV_HOSTRING_OFF_RESP_HEAD) + n);
    }
    // Answers `t` with its data upper-cased, in the slot of the response.
    void answer(const Taken& t, uint32_t status = PTV_HOSTRING_S_OK) {
        const uint32_t slot = index(PTV_HOSTRING_OFF_RESP_HEAD) % size;
        const uint32_t buffer = kAnswers + slot * 16;
        for (size_t i = 0; i < t.data.size(); ++i)
            m.memory[buffer + i] = uint8_t(std::toupper(uint8_t(t.data[i])));
        respond_raw(0, t.id, status, buffer, uint32_t(t.data.size()));
        publish(1);
    }
};

std::string stop_message(const vmb::Response& r) {
    return r && r->kind == vmb::StopRequest::Kind::DeviceError ? r->message : "(no device error)";
}

std::string text(const HostRing::Answer& a) {
    return {a.bytes.begin(), a.bytes.end()};
}

// Answers in the order they came, from any thread.
struct Answers {
    std::mutex lock;
    std::vector<std::pair<std::string, HostRing::Answer>> got;  // (what was asked, answer)
    HostRing::Done for_request(std::string asked) {
        return [this, asked](HostRing::Answer a) {
            std::lock_guard l(lock);
            got.emplace_back(asked, std::move(a));
        };
    }
    size_t size() {
        std::lock_guard l(lock);
        return got.size();
    }
};

}  // namespace

TEST_CASE("host-ring: a request goes on the ring, the guest is told, the answer comes back") {
    test::AsyncMachine m;
    HostRing ring(m);
    vmb::VirtualMotherboard board;
    HostRing other(m);  // the ring is not the board's first device
    board.attach(other);
    ring.plug_in(board);
    CHECK(board.find(vmb::Space::Pio, PTV_HOSTRING_NOTIFY_PORT)->device == &ring);
    CHECK(ring.name() == "host-ring");
    CHECK(ring.kind() == "paravirtual");
    REQUIRE(ring.doorbells().size() == 1);
    const vmb::Doorbell d = ring.doorbells()[0];
    CHECK(d.space == vmb::Space::Pio);
    CHECK(d.address == PTV_HOSTRING_NOTIFY_PORT);
    CHECK(d.size == 4);
    CHECK(d.offset == 4);
    CHECK(board.find(vmb::Space::Pio, d.address)->offset(d.address) == d.offset);

    Guest g(m, ring, 8, 3);
    CHECK_FALSE(g.set_queue());
    uint8_t r[4] = {};
    ring.read(vmb::Space::Pio, 0, r);
    uint32_t q;
    std::memcpy(&q, r, 4);
    CHECK(q == kQueue);
    CHECK(m.completed().empty());  // nothing to tell yet

    Answers answers;
    ring.send({PTV_HOSTRING_OP_GET, "index.html"}, answers.for_request("index.html"));
    ring.send({7, ""}, answers.for_request(""));
    CHECK(g.index(PTV_HOSTRING_OFF_REQ_HEAD) == 2);
    const auto c = m.completed();
    REQUIRE(c.size() == 2);  // one event per send that put a request
    CHECK(c[0].device == 1);
    CHECK(c[0].notification == 0);
    CHECK(c[0].event == PTV_EVT_HOST_RING);
    CHECK(c[0].vcpu == 3);
    const auto t = g.take();
    REQUIRE(t.size() == 2);
    CHECK(t[0].id == 1);
    CHECK(t[0].op == PTV_HOSTRING_OP_GET);
    CHECK(t[0].data == "index.html");
    CHECK(t[1].id == 2);
    CHECK(t[1].op == 7);
    CHECK(t[1].data.empty());
    // The data field is zero past the request's length.
    CHECK(load(m, kQueue + PTV_HOSTRING_OFF_REQ + PTV_HOSTRING_REQ_DATA + 12) == 0);
    CHECK(ring.outstanding() == 2);

    g.answer(t[0]);
    g.answer(t[1], PTV_HOSTRING_S_BAD_REQUEST);
    CHECK(answers.size() == 0);  // not before the doorbell
    CHECK_FALSE(g.doorbell());
    REQUIRE(answers.size() == 2);
    CHECK(answers.got[0].first == "index.html");
    CHECK(answers.got[0].second.status == PTV_HOSTRING_S_OK);
    CHECK(text(answers.got[0].second) == "INDEX.HTML");
    CHECK(answers.got[1].second.status == PTV_HOSTRING_S_BAD_REQUEST);
    CHECK(answers.got[1].second.bytes.empty());
    CHECK(g.index(PTV_HOSTRING_OFF_RESP_TAIL) == 2);
    CHECK(ring.outstanding() == 0);
    const auto s = ring.stats();
    CHECK(s.requests == 2);
    CHECK(s.responses == 2);
    CHECK(s.errors == 1);
    CHECK(s.max_outstanding == 2);
    CHECK(s.held_back == 0);
    CHECK(s.ignored == 0);
    // The entries and indices the device wrote are marked dirty.
    bool entry_dirty = false, tail_dirty = false;
    for (auto [gpa, bytes] : m.dirty) {
        entry_dirty |= gpa == kQueue + PTV_HOSTRING_OFF_REQ && bytes == PTV_HOSTRING_REQ_SIZE;
        tail_dirty |= gpa == kQueue + PTV_HOSTRING_OFF_RESP_TAIL && bytes == 4;
    }
    CHECK(entry_dirty);
    CHECK(tail_dirty);

    CHECK_THROWS_AS(ring.send({PTV_HOSTRING_OP_GET, std::string(17, 'x')}, nullptr),
                    std::invalid_argument);
    CHECK(ring.stats().requests == 2);
}

TEST_CASE(
    "host-ring: requests sent before the queue wait for it, a doorbell without one is "
    "ignored") {
    test::AsyncMachine m;
    HostRing ring(m);
    Guest g(m, ring, 4);
    CHECK_FALSE(g.doorbell());
    CHECK(ring.stats().ignored == 1);
    Answers answers;
    for (const char* name : {"a", "b", "c", "d", "e", "f"})
        ring.send({PTV_HOSTRING_OP_GET, name}, answers.for_request(name));
    CHECK(ring.waiting() == 6);
    CHECK(ring.stats().held_back == 6);
    CHECK(m.completed().empty());
    CHECK_FALSE(g.set_queue());  // four go on at once, with one event
    CHECK(ring.outstanding() == 4);
    CHECK(ring.waiting() == 2);
    CHECK(m.completed().size() == 1);
    auto t = g.take();
    REQUIRE(t.size() == 4);
    CHECK(t[3].data == "d");

    // Detached with four unanswered: they go back to the FIFO's head, and
    // on the next queue in their order, before the later ones.
    CHECK_FALSE(g.set_queue(0));
    CHECK(ring.queue() == 0);
    CHECK(ring.outstanding() == 0);
    CHECK(ring.waiting() == 6);
    Guest again(m, ring, 8);
    store(m, kQueue + PTV_HOSTRING_OFF_REQ_TAIL, 4);  // the new queue starts at 4
    store(m, kQueue + PTV_HOSTRING_OFF_RESP_HEAD, 4);
    store(m, kQueue + PTV_HOSTRING_OFF_RESP_TAIL, 4);
    CHECK_FALSE(again.set_queue());
    t = again.take();
    REQUIRE(t.size() == 6);
    for (size_t i = 0; i < 6; ++i) CHECK(t[i].data == std::string(1, char('a' + i)));
    for (const Taken& x : t) again.answer(x);
    CHECK_FALSE(again.doorbell());
    REQUIRE(answers.size() == 6);
    for (size_t i = 0; i < 6; ++i) {
        CHECK(answers.got[i].first == std::string(1, char('a' + i)));
        CHECK(text(answers.got[i].second) == std::string(1, char('A' + i)));
    }
}

TEST_CASE("host-ring: queues it refuses, with what was wrong") {
    test::AsyncMachine m;  // 1 MiB
    HostRing ring(m);
    Guest g(m, ring, 8);
    const uint32_t ram = uint32_t(m.memory.size());
    CHECK(stop_message(g.set_queue(kQueue + 4)) == "queue address 0x10004 is not 4 KiB aligned");
    CHECK(stop_message(g.set_queue(ram)) == "queue 0x100000 lies outside the guest's 1 MiB of RAM");
    store(m, kQueue + PTV_HOSTRING_OFF_MAGIC, 0x31445650);
    CHECK(stop_message(g.set_queue()) ==
          "queue at 0x10000 has magic 0x31445650, expected 0x31515248 (\"HRQ1\")");
    store(m, kQueue + PTV_HOSTRING_OFF_MAGIC, PTV_HOSTRING_MAGIC);
    for (uint32_t bad : {0u, 3u, 128u}) {
        store(m, kQueue + PTV_HOSTRING_OFF_SIZE, bad);
        CHECK(stop_message(g.set_queue()) == "queue at 0x10000 has size " + std::to_string(bad) +
                                                 "; it must be a power of two from 1 to 64");
    }
    // A RAM that ends inside the queue's page (32 + 64 * 48 bytes).
    {
        test::AsyncMachine small(0x10000 + 0x400);
        HostRing r(small);
        Guest s64(small, r, 64);
        CHECK(stop_message(s64.set_queue()) ==
              "queue at 0x10000 of 64 entries runs past the end of RAM");
    }
    store(m, kQueue + PTV_HOSTRING_OFF_SIZE, 8);
    store(m, kQueue + PTV_HOSTRING_OFF_VCPU, PTV_MAX_VCPUS);
    CHECK(stop_message(g.set_queue()) ==
          "queue at 0x10000 names vCPU 8 as its listener; there are at most 8");
    store(m, kQueue + PTV_HOSTRING_OFF_VCPU, 0);
    store(m, kQueue + PTV_HOSTRING_OFF_REQ_HEAD, 5);
    CHECK(stop_message(g.set_queue()) ==
          "queue at 0x10000 is bound with req_head 5 and resp_tail 0: it claims 5 unanswered "
          "requests the host never put; start with the two equal");
    CHECK(ring.queue() == 0);
    uint8_t two[2] = {};
    CHECK(stop_message(ring.write(vmb::Space::Pio, 0, two)) ==
          "port written with 2 byte(s) at offset 0; set the queue with a 32-bit OUT of its "
          "address to port 0x550");
    // Nothing put on a queue it refused.
    ring.send({PTV_HOSTRING_OP_GET, "x"}, nullptr);
    CHECK(ring.stats().requests == 0);
    CHECK(m.completed().empty());
}

TEST_CASE("host-ring: indices and responses it refuses on the doorbell end the run") {
    test::AsyncMachine m;  // 1 MiB
    const uint32_t ram = uint32_t(m.memory.size());
    struct Case {
        const char* what;
        void (*lie)(Guest&, const std::vector<Taken>&, uint32_t ram);
        std::string message;
    };
    const Case cases[] = {
        {"resp_head made up",
         [](Guest& g, const std::vector<Taken>&, uint32_t) {
             store(g.m, kQueue + PTV_HOSTRING_OFF_RESP_HEAD, 1000);
         },
         "bad ring indices in the queue at 0x10000: req_tail 2 leaves 0 of the host's 2 requests "
         "untaken, resp_head 1000 claims 1000 responses to 2 unanswered requests, on rings of 8 "
         "entries"},
        {"req_tail made up",
         [](Guest& g, const std::vector<Taken>&, uint32_t) {
             store(g.m, kQueue + PTV_HOSTRING_OFF_REQ_TAIL, 0xfffffff0);
         },
         "bad ring indices in the queue at 0x10000: req_tail 4294967280 leaves 18 of the host's "
         "2 requests untaken, resp_head 0 claims 0 responses to 2 unanswered requests, on rings "
         "of 8 entries"},
        {"one response too many",
         [](Guest& g, const std::vector<Taken>& t, uint32_t) {
             g.answer(t[0]);
             g.answer(t[1]);
             g.answer(t[1]);
         },
         "bad ring indices in the queue at 0x10000: req_tail 2 leaves 0 of the host's 2 requests "
         "untaken, resp_head 3 claims 3 responses to 2 unanswered requests, on rings of 8 "
         "entries"},
        {"an id never sent",
         [](Guest& g, const std::vector<Taken>&, uint32_t) {
             g.respond_raw(0, 99, 0, kAnswers, 1);
             g.publish(1);
         },
         "response 0 in the queue at 0x10000 has id 99, which is no unanswered request"},
        {"the same id twice",
         [](Guest& g, const std::vector<Taken>& t, uint32_t) {
             g.answer(t[1]);
             g.respond_raw(0, t[1].id, 0, kAnswers, 1);
             g.publish(1);
         },
         "response 1 in the queue at 0x10000 has id 2, which is no unanswered request"},
        {"a buffer outside RAM",
         [](Guest& g, const std::vector<Taken>& t, uint32_t ram) {
             g.respond_raw(0, t[0].id, 0, ram - 4, 5);
             g.publish(1);
         },
         "response 0 in the queue at 0x10000 has 5 bytes at 0xffffc, outside the guest's 1 MiB "
         "of RAM"},
        {"a length too big",
         [](Guest& g, const std::vector<Taken>& t, uint32_t) {
             g.respond_raw(0, t[0].id, 0, kAnswers, PTV_HOSTRING_MAX_RESPONSE + 1);
             g.publish(1);
         },
         "response 0 in the queue at 0x10000 is 65537 bytes long; at most 65536 may be"},
        {"the size changed",
         [](Guest& g, const std::vector<Taken>&, uint32_t) {
             store(g.m, kQueue + PTV_HOSTRING_OFF_SIZE, 16);
         },
         "queue at 0x10000 changed its size from 8 to 16 while in use"},
        {"the magic scribbled on",
         [](Guest& g, const std::vector<Taken>&, uint32_t) {
             store(g.m, kQueue + PTV_HOSTRING_OFF_MAGIC, 0);
         },
         "queue at 0x10000 has magic 0x00000000, expected 0x31515248 (\"HRQ1\")"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        std::fill(m.memory.begin(), m.memory.end(), 0);
        HostRing ring(m);
        Guest g(m, ring, 8);
        REQUIRE_FALSE(g.set_queue());
        Answers answers;
        ring.send({PTV_HOSTRING_OP_GET, "one"}, answers.for_request("one"));
        ring.send({PTV_HOSTRING_OP_GET, "two"}, answers.for_request("two"));
        const auto t = g.take();
        REQUIRE(t.size() == 2);
        c.lie(g, t, ram);
        const vmb::Response r = g.doorbell();
        REQUIRE(r);
        CHECK(r->device == "host-ring");
        CHECK(stop_message(r) == c.message);
        // A good answer before the bad one still reaches its client.
        if (std::string(c.what) == "the same id twice") {
            REQUIRE(answers.size() == 1);
            CHECK(text(answers.got[0].second) == "TWO");
        } else {
            CHECK(answers.size() == 0);
        }
    }
}

TEST_CASE("host-ring: a ring of 2 and 10 requests at once: all answered, in order, 2 at a time") {
    test::AsyncMachine m;
    HostRing ring(m);
    Guest g(m, ring, 2);
    REQUIRE_FALSE(g.set_queue());
    Answers answers;
    for (int i = 0; i < 10; ++i) {
        const std::string name = "file" + std::to_string(i);
        ring.send({PTV_HOSTRING_OP_GET, name}, answers.for_request(name));
    }
    CHECK(ring.outstanding() == 2);
    CHECK(ring.waiting() == 8);
    CHECK(ring.stats().held_back == 8);
    int passes = 0;
    while (answers.size() < 10 && passes < 20) {
        const auto t = g.take();
        CHECK(t.size() == 2);  // the ring is always full until the end
        CHECK(ring.outstanding() <= 2);
        for (const Taken& x : t) g.answer(x);
        REQUIRE_FALSE(g.doorbell());
        ++passes;
    }
    CHECK(passes == 5);
    REQUIRE(answers.size() == 10);
    for (int i = 0; i < 10; ++i) {
        CHECK(answers.got[i].first == "file" + std::to_string(i));
        CHECK(text(answers.got[i].second) == "FILE" + std::to_string(i));
    }
    const auto s = ring.stats();
    CHECK(s.requests == 10);
    CHECK(s.responses == 10);
    CHECK(s.max_outstanding == 2);
    CHECK(s.held_back == 8);
    CHECK(ring.waiting() == 0);
    CHECK(m.completed().size() == 6);  // the two sends that put one, then 4 passes that put 2
}

TEST_CASE("host-ring: answers out of order reach the client that asked") {
    test::AsyncMachine m;
    HostRing ring(m);
    Guest g(m, ring, 4);
    REQUIRE_FALSE(g.set_queue());
    Answers answers;
    for (const char* name : {"alpha", "beta", "gamma"})
        ring.send({PTV_HOSTRING_OP_GET, name}, answers.for_request(name));
    auto t = g.take();
    REQUIRE(t.size() == 3);
    g.answer(t[2]);
    g.answer(t[0], PTV_HOSTRING_S_NOT_FOUND);
    CHECK_FALSE(g.doorbell());
    REQUIRE(answers.size() == 2);
    CHECK(answers.got[0].first == "gamma");
    CHECK(text(answers.got[0].second) == "GAMMA");
    CHECK(answers.got[1].first == "alpha");
    CHECK(answers.got[1].second.status == PTV_HOSTRING_S_NOT_FOUND);
    // Two slots freed: a fourth request goes on beside the unanswered beta.
    ring.send({PTV_HOSTRING_OP_GET, "delta"}, answers.for_request("delta"));
    t = g.take();
    REQUIRE(t.size() == 1);
    CHECK(t[0].data == "delta");
    CHECK(t[0].id == 4);
    g.answer(t[0]);
    g.answer({2, PTV_HOSTRING_OP_GET, "beta"});
    CHECK_FALSE(g.doorbell());
    REQUIRE(answers.size() == 4);
    CHECK(answers.got[2].first == "delta");
    CHECK(text(answers.got[2].second) == "DELTA");
    CHECK(answers.got[3].first == "beta");
    CHECK(text(answers.got[3].second) == "BETA");
    CHECK(ring.outstanding() == 0);
}

TEST_CASE("host-ring: 8 client threads send while the guest serves: every answer is its own") {
    test::AsyncMachine m;
    HostRing ring(m);
    Guest g(m, ring, 4);
    REQUIRE_FALSE(g.set_queue());
    constexpr int kThreads = 8, kEach = 200;
    std::atomic<int> wrong{0}, done{0};
    std::atomic<bool> stop{false};
    // The guest: takes what is there and answers it, over and over.
    std::thread guest([&] {
        while (!stop.load()) {
            const auto t = g.take();
            for (const Taken& x : t) g.answer(x);
            if (!t.empty() && g.doorbell()) ++wrong;
            std::this_thread::yield();
        }
    });
    std::vector<std::thread> clients;
    for (int c = 0; c < kThreads; ++c)
        clients.emplace_back([&, c] {
            for (int i = 0; i < kEach; ++i) {
                const std::string name = "c" + std::to_string(c) + "r" + std::to_string(i);
                std::string upper = name;
                for (char& ch : upper) ch = char(std::toupper(uint8_t(ch)));
                ring.send({PTV_HOSTRING_OP_GET, name}, [&, upper](HostRing::Answer a) {
                    if (text(a) != upper || a.status != PTV_HOSTRING_S_OK) ++wrong;
                    ++done;
                });
            }
        });
    for (auto& t : clients) t.join();
    for (int spin = 0; done.load() < kThreads * kEach && spin < 20000; ++spin)
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    stop = true;
    guest.join();
    CHECK(done.load() == kThreads * kEach);
    CHECK(wrong.load() == 0);
    const auto s = ring.stats();
    CHECK(s.requests == kThreads * kEach);
    CHECK(s.responses == kThreads * kEach);
    CHECK(s.max_outstanding <= 4);
    CHECK(ring.outstanding() == 0);
    CHECK(ring.waiting() == 0);
}

TEST_CASE("host-ring: saves and loads its queue, refuses to save with clients waiting") {
    test::AsyncMachine m;
    HostRing ring(m);
    Guest g(m, ring, 8, 2);
    REQUIRE_FALSE(g.set_queue());
    Answers answers;
    ring.send({PTV_HOSTRING_OP_GET, "x"}, answers.for_request("x"));
    try {
        (void)ring.save_state();
        FAIL("saved with a client waiting");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) ==
              "host-ring: 1 client request(s) are unanswered; a snapshot or a migration cannot "
              "carry the host's clients, so let them finish first");
    }
    g.answer(g.take().at(0));
    REQUIRE_FALSE(g.doorbell());
    const nlohmann::json s = ring.save_state();
    CHECK(s == nlohmann::json{
                   {"queue", kQueue}, {"size", 8}, {"vcpu", 2}, {"req_head", 1}, {"resp_tail", 1}});
    HostRing copy(m);
    copy.load_state(s);
    CHECK(copy.queue() == kQueue);
    // The copy goes on where the original left off, telling vCPU 2.
    const size_t told = m.completed().size();
    copy.send({PTV_HOSTRING_OP_GET, "y"}, answers.for_request("y"));
    CHECK(g.index(PTV_HOSTRING_OFF_REQ_HEAD) == 2);
    REQUIRE(m.completed().size() == told + 1);
    CHECK(m.completed().back().vcpu == 2);
    nlohmann::json bad = s;
    bad["size"] = 3;
    CHECK_THROWS_AS(copy.load_state(bad), std::invalid_argument);
    bad = s;
    bad["req_head"] = 4;
    CHECK_THROWS_AS(copy.load_state(bad), std::invalid_argument);
    bad = s;
    bad["vcpu"] = 9;
    CHECK_THROWS_AS(copy.load_state(bad), std::invalid_argument);
}
