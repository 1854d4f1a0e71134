// Post-copy's background push: which page goes next when no remote fault
// claims the link. Hines & Gopalan (VEE 2009, sec. 3) call it active push:
// the source sends the pages the destination has not asked for yet, so that
// every page arrives once and the degraded window ends; what it pushes
// first decides how many accesses still fault. Pushing in page order is the
// plain choice; pre-paging pushes the neighbourhood of the last fault first,
// betting on spatial locality (their "bubbling" around a pivot).
//
// The migration simulator (sim/migration/sim) asks a PostCopyPushPolicy for
// every slot that no fault takes; PageOrderPush is its default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::migration {

// What the destination still lacks, as the source knows it.
class MissingPages {
  public:
    MissingPages(const std::vector<bool>& missing, uint64_t remaining)
        : missing_(missing), remaining_(remaining) {}
    uint64_t memory_pages() const { return missing_.size(); }
    // False for a page outside memory.
    bool missing(uint64_t page) const { return page < missing_.size() && missing_[page]; }
    uint64_t remaining() const { return remaining_; }

  private:
    const std::vector<bool>& missing_;
    uint64_t remaining_;
};

class PostCopyPushPolicy {
  public:
    virtual ~PostCopyPushPolicy() = default;

    // The source is sending `page` because the guest faulted on it (demand
    // paging): the pivot a pre-paging push works around.
    virtual void on_fault(uint64_t page) { (void)page; }
    // The page for a slot no fault takes: a page that is still missing
    // (called only while some are).
    virtual uint64_t next(const MissingPages& missing) = 0;
    // A short name for reports ("page-order").
    virtual std::string name() const = 0;
};

// The next missing page in page order: a cursor that sweeps memory once.
class PageOrderPush final : public PostCopyPushPolicy {
  public:
    uint64_t next(const MissingPages& missing) override;
    std::string name() const override { return "page-order"; }

  private:
    uint64_t cursor_ = 0;
};

}  // namespace ptv::migration
