// Part 2: what post-copy pushes next (README.md, part 2).
//
// Hines & Gopalan (VEE 2009): the guest runs on the destination before its
// memory does. Each slot of the link carries the page of a remote fault if
// there is one, else a page the source pushes on its own (active push).
// Which page that is decides how many of the guest's accesses still fault.
#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"

namespace ptv::lab::migration {

namespace {

class LabPush final : public PostCopyPushPolicy {
  public:
    void on_fault(uint64_t page) override {
        // TODO(L6): remember where the guest faulted.
        (void)page;
    }

    uint64_t next(const MissingPages& missing) override {
        // TODO(L6): a missing page: first the neighbourhood of the last
        // fault (pre-paging), else the next missing page in page order.
        (void)missing;
        throw NotImplemented("LabPush::next (TODO(L6) in postcopy_push.cpp)");
    }
    std::string name() const override { return "lab"; }
};

}  // namespace

std::unique_ptr<PostCopyPushPolicy> make_lab_push() {
    return std::make_unique<LabPush>();
}

}  // namespace ptv::lab::migration
