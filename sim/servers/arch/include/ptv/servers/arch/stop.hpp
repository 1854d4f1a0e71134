// How a server learns it must stop: an eventfd that becomes readable and
// stays readable. Every blocking wait of every architecture polls it too, so
// one write wakes them all -- threads, fibers, and forked children (which
// share the eventfd with their parent).
#pragma once

namespace ptv::servers::arch {

class StopSignal {
  public:
    StopSignal();
    ~StopSignal();
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    int fd() const { return fd_; }
    void request();
    bool requested() const;

    // SIGINT, SIGTERM and SIGHUP request a stop of this signal (the handler
    // only writes to the eventfd, which is async-signal-safe); SIGPIPE is
    // ignored, so a client that goes away mid-reply is an EPIPE, not a
    // death. Undone by the destructor.
    void catch_signals();

  private:
    int fd_ = -1;
    bool caught_ = false;
};

}  // namespace ptv::servers::arch
