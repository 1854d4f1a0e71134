#include "ptv/vnd/request_path.hpp"

#include <unistd.h>

namespace ptv::vnd {

namespace {
thread_local uint64_t t_doorbell = 0;
thread_local uint64_t t_job = 0;
}  // namespace

RequestPath::Scope::Scope(uint64_t doorbell, uint64_t job)
    : saved_doorbell_(t_doorbell), saved_job_(t_job) {
    t_doorbell = doorbell;
    t_job = job;
}

RequestPath::Scope::~Scope() {
    t_doorbell = saved_doorbell_;
    t_job = saved_job_;
}

uint64_t RequestPath::current_doorbell() {
    return t_doorbell;
}

uint64_t RequestPath::current_job() {
    return t_job;
}

uint32_t RequestPath::this_thread() {
    return uint32_t(::gettid());
}

uint64_t RequestPath::doorbell(uint64_t t_ns, uint16_t target, uint64_t rings) {
    std::lock_guard lock(lock_);
    const uint64_t id = doorbells_.size() + 1;
    doorbells_.push_back({id, t_ns, rings, this_thread(), target});
    return id;
}

uint64_t RequestPath::job_submitted(uint64_t t_ns) {
    std::lock_guard lock(lock_);
    const uint64_t id = jobs_.size() + 1;
    jobs_.push_back({id, t_doorbell, t_ns, 0, 0, 0});
    return id;
}

void RequestPath::job_done(uint64_t id, uint64_t t_start, uint64_t t_end) {
    std::lock_guard lock(lock_);
    if (id == 0 || id > jobs_.size()) return;
    JobRecord& j = jobs_[id - 1];
    j.t_start = t_start;
    j.t_end = t_end;
    j.thread = this_thread();
}

void RequestPath::block(uint32_t vcpu, uint64_t t_begin, uint64_t t_end) {
    std::lock_guard lock(lock_);
    blocks_.push_back({t_begin, t_end, vcpu});
}

void RequestPath::set_vcpu_thread(uint32_t vcpu, uint32_t thread) {
    std::lock_guard lock(lock_);
    vcpu_threads_.emplace_back(vcpu, thread);
}

std::vector<DoorbellRecord> RequestPath::doorbells() const {
    std::lock_guard lock(lock_);
    return doorbells_;
}

std::vector<JobRecord> RequestPath::jobs() const {
    std::lock_guard lock(lock_);
    std::vector<JobRecord> done;
    for (const JobRecord& j : jobs_)
        if (j.t_end) done.push_back(j);
    return done;
}

std::vector<BlockRecord> RequestPath::blocks() const {
    std::lock_guard lock(lock_);
    return blocks_;
}

int RequestPath::vcpu_of(uint32_t thread) const {
    std::lock_guard lock(lock_);
    for (const auto& [vcpu, t] : vcpu_threads_)
        if (t == thread) return int(vcpu);
    return -1;
}

}  // namespace ptv::vnd
