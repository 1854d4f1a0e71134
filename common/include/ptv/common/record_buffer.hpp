// A preallocated, fixed-capacity buffer for hot-path records (docs/DESIGN.md, "The
// trace": record into a preallocated buffer, serialise off the hot path).
// push() never allocates: when the buffer is full the record is dropped and
// counted, and the serialiser reports the count.
#pragma once

#include <atomic>
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

    // The writer's thread, after filling the slot claim() gave: makes every
    // record so far visible to published() on other threads.
    void publish() { published_.store(size_, std::memory_order_release); }
    // Any thread: the records published so far (never rewritten: the buffer
    // does not wrap), for a live stream while the writer goes on.
    std::span<const Record> published() const {
        return {records_.get(), published_.load(std::memory_order_acquire)};
    }

    std::span<const Record> records() const { return {records_.get(), size_}; }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    uint64_t dropped() const { return dropped_; }

  private:
    std::unique_ptr<Record[]> records_;
    size_t capacity_;
    size_t size_ = 0;
    std::atomic<size_t> published_{0};
    uint64_t dropped_ = 0;
};

}  // namespace ptv
