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
#include <fmt/format.h>
#include <cstring>
#include <string>
#include <vector>

#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

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
            return fail(fmt::format(
                "doorbell written with {} byte(s) at offset {}; ring it with a 32-bit OUT of "
                "the ring's address",
                data.size(), offset));
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
            return fail(fmt::format(
                "ring address {:#x} is not a 4-byte-aligned ring header inside the guest's {} "
                "MiB of RAM",
                gpa, ram.size() >> 20));
        uint8_t* ring = ram.data() + gpa;
        // Each header field once.
        const uint32_t magic = load32(ring + PTV_PVBLK_OFF_MAGIC);
        const uint32_t size = load32(ring + PTV_PVBLK_OFF_SIZE);
        const uint32_t head = load32(ring + PTV_PVBLK_OFF_HEAD);
        const uint32_t tail = load32(ring + PTV_PVBLK_OFF_TAIL);
        if (magic != PTV_PVBLK_MAGIC)
            return fail(
                fmt::format("ring at {:#x} has magic {:#010x}, expected {:#010x} (\"PVB1\")", gpa,
                            magic, PTV_PVBLK_MAGIC));
        if (size == 0 || size > PTV_PVBLK_MAX_SIZE || (size & (size - 1)) != 0)
            return fail(
                fmt::format("ring at {:#x} has size {}; it must be a power of two from 1 to {}",
                            gpa, size, PTV_PVBLK_MAX_SIZE));
        if ((ram.size() - gpa - PTV_PVBLK_OFF_REQ) / PTV_PVBLK_REQ_SIZE < size)
            return fail(
                fmt::format("ring at {:#x} with {} requests runs past the end of RAM", gpa, size));
        const uint32_t pending = head - tail;  // free-running indices
        if (pending > size)
            return fail(fmt::format(
                "ring at {:#x}: head {} is {} requests ahead of tail {}, beyond the ring's {}", gpa,
                head, pending, tail, size));

        // The whole batch into our own memory, checked, before any of it
        // is done: a bad request leaves the disk and RAM as they were.
        std::vector<Request> batch;
        batch.reserve(pending);
        for (uint32_t i = 0; i < pending; ++i) {
            uint8_t* slot = ring + PTV_PVBLK_OFF_REQ + size_t(tail + i) * PTV_PVBLK_REQ_SIZE;
            Request r{load32(slot + PTV_PVBLK_REQ_OP), load32(slot + PTV_PVBLK_REQ_LBA),
                      load32(slot + PTV_PVBLK_REQ_COUNT), load32(slot + PTV_PVBLK_REQ_BUFFER),
                      slot};
            if (r.count == 0 || r.count > PTV_PVBLK_MAX_COUNT)
                return fail(
                    fmt::format("request {} (index {}) asks for {} sectors; 1 to {} may be "
                                "asked for",
                                i, tail + i, r.count, PTV_PVBLK_MAX_COUNT));
            const uint64_t bytes = uint64_t(r.count) * Disk::kSectorSize;
            if (r.buffer > ram.size() || ram.size() - r.buffer < bytes)
                return fail(fmt::format(
                    "request {} (index {}): buffer {:#x} of {} bytes is not inside the guest's {} "
                    "MiB of RAM",
                    i, tail + i, r.buffer, bytes, ram.size() >> 20));
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
