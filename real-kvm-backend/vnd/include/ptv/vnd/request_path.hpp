// A request's path through the worker as a server, kept for the trace:
// the doorbell a back-end thread read, the job it became (waiting out the
// disk, then served on some thread), the completion, and the vCPU that
// slept in HLT until it came. The dispatcher owns one and keeps it only
// while tracing; every call may come from any thread.
//
// Which doorbell started a job, and which job made a completion, is known
// from the thread: a back-end thread serving a doorbell or running a job
// says so with a Scope, and what it does meanwhile is tied to it.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace ptv::vnd {

struct DoorbellRecord {
    uint64_t id;  // 1-based
    uint64_t t_ns;
    uint64_t rings;   // guest writes counted at this read
    uint32_t thread;  // the kernel's thread id
    uint16_t target;
};

struct JobRecord {
    uint64_t id;                        // 1-based
    uint64_t doorbell;                  // the doorbell read that submitted it (0: an exit did)
    uint64_t t_submit, t_start, t_end;  // waiting from submit to start
    uint32_t thread;                    // where it ran
};

struct BlockRecord {
    uint64_t t_begin, t_end;  // the vCPU's thread parked in HLT
    uint32_t vcpu;
};

class RequestPath {
  public:
    // While a Scope lives, what this thread submits or completes belongs to
    // `doorbell` (a job's parent) or `job` (a completion's cause).
    class Scope {
      public:
        Scope(uint64_t doorbell, uint64_t job);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

      private:
        uint64_t saved_doorbell_, saved_job_;
    };
    static uint64_t current_doorbell();
    static uint64_t current_job();
    static uint32_t this_thread();  // gettid()

    // Each returns the record's id.
    uint64_t doorbell(uint64_t t_ns, uint16_t target, uint64_t rings);
    uint64_t job_submitted(uint64_t t_ns);
    void job_done(uint64_t id, uint64_t t_start, uint64_t t_end);
    void block(uint32_t vcpu, uint64_t t_begin, uint64_t t_end);
    // The thread that runs vCPU `vcpu` (jobs served inline are on it).
    void set_vcpu_thread(uint32_t vcpu, uint32_t thread);

    std::vector<DoorbellRecord> doorbells() const;
    std::vector<JobRecord> jobs() const;  // those that ran
    std::vector<BlockRecord> blocks() const;
    // The vCPU whose thread `thread` is, or -1.
    int vcpu_of(uint32_t thread) const;

  private:
    mutable std::mutex lock_;
    std::vector<DoorbellRecord> doorbells_;
    std::vector<JobRecord> jobs_;  // by id - 1; t_end 0 until done
    std::vector<BlockRecord> blocks_;
    std::vector<std::pair<uint32_t, uint32_t>> vcpu_threads_;  // (vcpu, thread)
};

}  // namespace ptv::vnd
