// Part 2: what post-copy pushes next (README.md, part 2).
//
// Hines & Gopalan (VEE 2009): the guest runs on the destination before its
// memory does. Each slot of the link carries the page of a remote fault if
// there is one, else a page the source pushes on its own (active push).
// Pushing the neighbourhood of the last fault first (pre-paging) bets that
// the guest's next accesses are near its last one.
#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"

namespace ptv::lab::migration {

namespace {

class LabPush final : public PostCopyPushPolicy {
  public:
    void on_fault(uint64_t page) override { pivot_ = page + 1; }

    uint64_t next(const MissingPages& missing) override {
        // Forward from the last fault while there is a missing page there.
        while (pivot_ < missing.memory_pages() && !missing.missing(pivot_)) ++pivot_;
        if (pivot_ < missing.memory_pages()) return pivot_;
        // Else page order: a cursor that only goes forward.
        while (!missing.missing(cursor_)) ++cursor_;
        return cursor_;
    }
    std::string name() const override { return "pre-paging"; }

  private:
    uint64_t pivot_ = UINT64_MAX;
    uint64_t cursor_ = 0;
};

}  // namespace

std::unique_ptr<PostCopyPushPolicy> make_lab_push() {
    return std::make_unique<LabPush>();
}

}  // namespace ptv::lab::migration
