// Part 2 and 3: a para-virtualized block device. The guest knows it is
// virtualized: it puts a batch of requests into a ring in its own RAM and
// rings the doorbell once, one exit for the whole batch (the Xen/virtio
// idea, the para-virtualized devices of the lecture's worker process).
//
// Everything in the ring comes from the guest, which may be buggy or
// hostile: the device checks every index and address before it uses it,
// and reads each field exactly once into its own memory (no double fetch:
// a value checked and then fetched again could have changed in between).
// A ring it cannot trust stops the VM with a device error naming what was
// wrong; a request for sectors past the end of the disk is an ordinary I/O
// error, answered in the request's status.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

// A number as the messages print addresses and magic words: "0x1f0", or
// with `digits` zero-padded hex digits.
std::string hex(uint64_t value, int digits = 0) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%0*llx", digits, static_cast<unsigned long long>(value));
    return text;
}

uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

void store32(uint8_t* p, uint32_t v) {
    std::memcpy(p, &v, sizeof v);
}

class PvBlock : public vmb::Device {
  public:
    PvBlock(Disk& disk, vmb::Machine& machine) : disk_(disk), machine_(machine) {}

    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, PTV_PVBLK_DOORBELL_PORT, PTV_PVBLK_DOORBELL_SIZE, *this);
    }
    std::string_view name() const override { return kPvBlockName; }
    std::string_view kind() const override { return "paravirtual"; }

    void read(vmb::Space, uint64_t, std::span<uint8_t> data) override {
        std::memset(data.data(), 0, data.size());
    }

    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override {
        if (offset != 0 || data.size() != 4)
            return fail("doorbell written with " + std::to_string(data.size()) +
                        " byte(s) at offset " + std::to_string(offset) +
                        "; ring it with a 32-bit OUT of the ring's address");
        return serve(load32(data.data()));
    }

  private:
    // One request, as fetched from the ring: the device's own copy.
    struct Request {
        uint32_t op, lba, count, buffer;
        uint8_t* slot;  // where its status goes
    };

    vmb::Response fail(std::string message) const {
        return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, std::string(name()),
                                std::move(message)};
    }

    vmb::Response serve(uint64_t gpa) {
        std::span<uint8_t> ram = machine_.ram();
        if (gpa % 4 != 0 || gpa > ram.size() || ram.size() - gpa < PTV_PVBLK_OFF_REQ)
            return fail("ring address " + hex(gpa) +
                        " is not a 4-byte-aligned ring header inside the guest's " +
                        std::to_string(ram.size() >> 20) + " MiB of RAM");
        uint8_t* ring = ram.data() + gpa;
        // Each header field once.
        const uint32_t magic = load32(ring + PTV_PVBLK_OFF_MAGIC);
        const uint32_t size = load32(ring + PTV_PVBLK_OFF_SIZE);
        const uint32_t head = load32(ring + PTV_PVBLK_OFF_HEAD);
        const uint32_t tail = load32(ring + PTV_PVBLK_OFF_TAIL);
        if (magic != PTV_PVBLK_MAGIC)
            return fail("ring at " + hex(gpa) + " has magic " + hex(magic, 8) + ", expected " +
                        hex(PTV_PVBLK_MAGIC, 8) + " (\"PVB1\")");
        if (size == 0 || size > PTV_PVBLK_MAX_SIZE || (size & (size - 1)) != 0)
            return fail("ring at " + hex(gpa) + " has size " + std::to_string(size) +
                        "; it must be a power of two from 1 to " +
                        std::to_string(PTV_PVBLK_MAX_SIZE));
        if ((ram.size() - gpa - PTV_PVBLK_OFF_REQ) / PTV_PVBLK_REQ_SIZE < size)
            return fail("ring at " + hex(gpa) + " with " + std::to_string(size) +
                        " requests runs past the end of RAM");
        const uint32_t pending = head - tail;  // free-running indices
        if (pending >= size)
            return fail("ring at " + hex(gpa) + ": head " + std::to_string(head) + " is " +
                        std::to_string(pending) + " requests ahead of tail " +
                        std::to_string(tail) + ", beyond the ring's " + std::to_string(size));

        // The whole batch into our own memory, checked, before any of it
        // is done: a bad request leaves the disk and RAM as they were.
        std::vector<Request> batch;
        batch.reserve(pending);
        for (uint32_t i = 0; i < pending; ++i) {
            uint8_t* slot =
                ring + PTV_PVBLK_OFF_REQ + size_t((tail + i) & (size - 1)) * PTV_PVBLK_REQ_SIZE;
            Request r{load32(slot + PTV_PVBLK_REQ_OP), load32(slot + PTV_PVBLK_REQ_LBA),
                      load32(slot + PTV_PVBLK_REQ_COUNT), load32(slot + PTV_PVBLK_REQ_BUFFER),
                      slot};
            if (r.count == 0 || r.count > PTV_PVBLK_MAX_COUNT)
                return fail("request " + std::to_string(i) + " (index " + std::to_string(tail + i) +
                            ") asks for " + std::to_string(r.count) + " sectors; 1 to " +
                            std::to_string(PTV_PVBLK_MAX_COUNT) + " may be asked for");
            const uint64_t bytes = uint64_t(r.count) * Disk::kSectorSize;
            if (r.buffer > ram.size() || ram.size() - r.buffer < bytes)
                return fail("request " + std::to_string(i) + " (index " + std::to_string(tail + i) +
                            "): buffer " + hex(r.buffer) + " of " + std::to_string(bytes) +
                            " bytes is not inside the guest's " + std::to_string(ram.size() >> 20) +
                            " MiB of RAM");
            batch.push_back(r);
        }

        for (const Request& r : batch) {
            uint32_t status = PTV_PVBLK_S_OK;
            const size_t bytes = size_t(r.count) * Disk::kSectorSize;
            uint8_t* buffer = ram.data() + r.buffer;
            if (r.op != PTV_PVBLK_OP_READ && r.op != PTV_PVBLK_OP_WRITE) {
                status = PTV_PVBLK_S_UNSUPP;
            } else if (!disk_.contains(r.lba, r.count)) {
                status = PTV_PVBLK_S_IOERR;
            } else if (r.op == PTV_PVBLK_OP_READ) {
                std::memcpy(buffer, disk_.sector(r.lba).data(), bytes);
                machine_.mark_dirty(r.buffer, bytes);
            } else {
                std::memcpy(disk_.sector(r.lba).data(), buffer, bytes);
            }
            store32(r.slot + PTV_PVBLK_REQ_STATUS, status);
            machine_.mark_dirty(uint64_t(r.slot - ram.data()) + PTV_PVBLK_REQ_STATUS, 4);
        }
        store32(ring + PTV_PVBLK_OFF_TAIL, head);
        machine_.mark_dirty(gpa + PTV_PVBLK_OFF_TAIL, 4);
        return {};
    }

    Disk& disk_;
    vmb::Machine& machine_;
};

}  // namespace

std::unique_ptr<vmb::Device> make_pv_block(Disk& disk, vmb::Machine& machine) {
    return std::make_unique<PvBlock>(disk, machine);
}

}  // namespace ptv::lab::devices
