// A preallocated, fixed-capacity buffer for hot-path records (DESIGN.md, "The
// trace": record into a preallocated buffer, serialise off the hot path).
// push() never allocates: when the buffer is full the record is dropped and
// counted, and the serialiser reports the count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ptv {

template <class Record>
class RecordBuffer {
  public:
    explicit RecordBuffer(size_t capacity)
        // new[] of a trivially constructible type does not touch the pages,
        // so a large capacity costs address space, not memory, until used.
        : records_(new Record[capacity]), capacity_(capacity) {}

    // Returns the slot to fill, or nullptr when full (the record is counted
    // as dropped).
    Record* claim() {
        if (size_ == capacity_) [[unlikely]] {
            ++dropped_;
            return nullptr;
        }
        return &records_[size_++];
    }

    std::span<const Record> records() const { return {records_.get(), size_}; }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    uint64_t dropped() const { return dropped_; }

  private:
    std::unique_ptr<Record[]> records_;
    size_t capacity_;
    size_t size_ = 0;
    uint64_t dropped_ = 0;
};

}  // namespace ptv
