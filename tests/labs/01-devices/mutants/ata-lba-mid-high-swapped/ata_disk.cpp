// Part 1: an emulated disk at the register level. The guest's driver was
// written for a real ATA controller, so the device must behave like one,
// register by register: every IN and OUT the driver makes is a VM exit that
// ends up here, in the worker process (the emulated devices of the
// lecture's worker process). Completion is synchronous: a command is done,
// or its first sector is ready, when the OUT to the command register
// returns, so the guest's first poll of the status sees it.
#include <array>
#include <cstring>

#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

class AtaDisk : public vmb::Device {
  public:
    explicit AtaDisk(Disk& disk) : disk_(disk) {}

    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, PTV_ATA_BASE, PTV_ATA_SIZE, *this);
    }
    std::string_view name() const override { return kAtaDiskName; }

    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override {
        std::memset(data.data(), 0xff, data.size());  // what no register drives
        if (offset == PTV_ATA_REG_DATA) {
            if (data.size() == 2) read_data(data);
            return;
        }
        if (data.size() != 1) return;
        switch (offset) {
            case PTV_ATA_REG_ERROR:
                data[0] = error_;
                break;
            case PTV_ATA_REG_COUNT:
                data[0] = count_;
                break;
            case PTV_ATA_REG_LBA_LOW:
                data[0] = lba_low_;
                break;
            case PTV_ATA_REG_LBA_MID:
                data[0] = lba_mid_;
                break;
            case PTV_ATA_REG_LBA_HIGH:
                data[0] = lba_high_;
                break;
            case PTV_ATA_REG_DRIVE:
                data[0] = drive_;
                break;
            case PTV_ATA_REG_STATUS:
                data[0] = status_;
                break;
        }
    }

    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override {
        if (offset == PTV_ATA_REG_DATA) {
            if (data.size() == 2) write_data(data);
            return {};
        }
        if (data.size() != 1) return {};
        switch (offset) {
            case PTV_ATA_REG_COUNT:
                count_ = data[0];
                break;
            case PTV_ATA_REG_LBA_LOW:
                lba_low_ = data[0];
                break;
            case PTV_ATA_REG_LBA_MID:
                lba_mid_ = data[0];
                break;
            case PTV_ATA_REG_LBA_HIGH:
                lba_high_ = data[0];
                break;
            case PTV_ATA_REG_DRIVE:
                drive_ = data[0];
                break;
            case PTV_ATA_REG_COMMAND:
                command(data[0]);
                break;
        }
        return {};
    }

  private:
    void command(uint8_t cmd) {
        error_ = 0;
        transfer_ = Transfer::None;
        // 28-bit LBA: bits 24-27 come from the drive/head register.
        lba_ = uint32_t(drive_ & 0x0f) << 24 | uint32_t(lba_mid_) << 16 | uint32_t(lba_high_) << 8 |
               lba_low_;
        left_ = count_ == 0 ? 256 : count_;  // a count of 0 asks for 256 sectors
        if ((cmd != PTV_ATA_CMD_READ_SECTORS && cmd != PTV_ATA_CMD_WRITE_SECTORS) ||
            (drive_ & PTV_ATA_DRIVE_SLAVE) || !(drive_ & PTV_ATA_DRIVE_LBA_MODE))
            return abort(PTV_ATA_ER_ABRT);  // no such command, drive or addressing
        if (!disk_.contains(lba_, left_)) return abort(PTV_ATA_ER_IDNF);
        pos_ = 0;
        if (cmd == PTV_ATA_CMD_READ_SECTORS) {
            transfer_ = Transfer::Read;
            load();
        } else {
            transfer_ = Transfer::Write;
        }
        status_ = PTV_ATA_SR_DRDY | PTV_ATA_SR_DRQ;  // the first sector is ready now
    }

    void abort(uint8_t error) {
        error_ = error;
        status_ = PTV_ATA_SR_DRDY | PTV_ATA_SR_ERR;
    }

    void load() {
        auto s = disk_.sector(lba_);
        std::memcpy(buffer_.data(), s.data(), buffer_.size());
    }

    void read_data(std::span<uint8_t> data) {
        if (transfer_ != Transfer::Read) return;
        data[0] = buffer_[pos_];
        data[1] = buffer_[pos_ + 1];
        pos_ += 2;
        if (pos_ == buffer_.size()) next_sector();
    }

    void write_data(std::span<const uint8_t> data) {
        if (transfer_ != Transfer::Write) return;
        buffer_[pos_] = data[0];
        buffer_[pos_ + 1] = data[1];
        pos_ += 2;
        if (pos_ < buffer_.size()) return;
        auto s = disk_.sector(lba_);
        std::memcpy(s.data(), buffer_.data(), buffer_.size());
        next_sector();
    }

    // A sector went by: the next one is ready at once, or the command is
    // done and DRQ drops.
    void next_sector() {
        pos_ = 0;
        if (--left_ == 0) {
            transfer_ = Transfer::None;
            status_ = PTV_ATA_SR_DRDY;
            return;
        }
        ++lba_;
        if (transfer_ == Transfer::Read) load();
    }

    enum class Transfer : uint8_t { None, Read, Write };

    Disk& disk_;
    // The task file, as the guest wrote it.
    uint8_t count_ = 0, lba_low_ = 0, lba_mid_ = 0, lba_high_ = 0, drive_ = 0;
    uint8_t status_ = PTV_ATA_SR_DRDY, error_ = 0;
    // The command in progress: the sector under transfer and how many remain.
    Transfer transfer_ = Transfer::None;
    uint32_t lba_ = 0, left_ = 0;
    size_t pos_ = 0;
    std::array<uint8_t, Disk::kSectorSize> buffer_{};
};

}  // namespace

std::unique_ptr<vmb::Device> make_ata_disk(Disk& disk) {
    return std::make_unique<AtaDisk>(disk);
}

}  // namespace ptv::lab::devices
