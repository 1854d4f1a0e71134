// The KVM wrapper, in the role of Hyper-V's Virtualization Infrastructure
// Driver (VID): the one place that talks to /dev/kvm. RAII objects for the
// system, a VM, its memory slots and its vCPUs, and a vCPU run call that
// another thread can interrupt (immediate_exit plus a signal, as the KVM API
// documentation describes). Everything above this folder sees plain C++.
#pragma once

#include <linux/kvm.h>

#include <pthread.h>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/common/disasm.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vid/vcpu_state.hpp"
#include "ptv/vnd/exit.hpp"

namespace ptv::vid {

// /dev/kvm is missing, inaccessible or too old: a usage error (exit 2).
class KvmUnavailable : public UsageError {
  public:
    using UsageError::UsageError;
};

// An ioctl failed where it should not have: a bug or a host problem.
class KvmError : public std::runtime_error {
  public:
    KvmError(const std::string& what, int err);
    int error() const { return err_; }

  private:
    int err_;
};

// A file descriptor that closes itself.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    int fd_ = -1;
};

// The system: /dev/kvm, its API version and capabilities.
class Kvm {
  public:
    // Opens /dev/kvm (or $PTV_KVM_DEVICE, for tests of the error path);
    // throws KvmUnavailable with one line that says what to do.
    Kvm();
    int fd() const { return fd_.get(); }
    int check_extension(long capability) const;
    size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
    // The CPUID leaves KVM can give a guest (KVM_GET_SUPPORTED_CPUID).
    std::vector<kvm_cpuid_entry2> supported_cpuid() const;

  private:
    Fd fd_;
    size_t vcpu_mmap_size_ = 0;
};

// Guest RAM: anonymous, page-aligned host memory. Pages are touched only
// when used, so a 64 MiB guest that uses 1 MiB costs 1 MiB.
class GuestMemory {
  public:
    explicit GuestMemory(size_t bytes);
    GuestMemory(GuestMemory&&) noexcept;
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;
    ~GuestMemory();
    uint8_t* host() const { return host_; }
    size_t size() const { return size_; }
    std::span<uint8_t> span() const { return {host_, size_}; }

  private:
    uint8_t* host_ = nullptr;
    size_t size_ = 0;
};

class Vm {
  public:
    explicit Vm(const Kvm& kvm);
    int fd() const { return fd_.get(); }
    const Kvm& kvm() const { return kvm_; }

    // Maps host memory at a guest-physical address (KVM_SET_USER_MEMORY_REGION).
    void map_memory(uint32_t slot, uint64_t gpa, const GuestMemory& memory, bool dirty_log = false);
    // Switches dirty-page logging of a slot on or off (for live migration).
    void set_dirty_logging(uint32_t slot, bool on);
    // The slot's dirty bitmap since the last call (one bit per 4 KiB page).
    std::vector<uint64_t> dirty_log(uint32_t slot);

    // Whether this host can take a guest's write without an exit
    // (KVM_CAP_IOEVENTFD).
    bool has_ioeventfd() const;
    // From now on a `len`-byte write of the guest to `address` (a port when
    // `pio`, else guest-physical) signals `eventfd` inside the kernel and
    // the vCPU runs on: no exit reaches user space (KVM_IOEVENTFD, any
    // value). remove_ioeventfd() takes it back.
    void add_ioeventfd(bool pio, uint64_t address, uint32_t len, int eventfd);
    void remove_ioeventfd(bool pio, uint64_t address, uint32_t len, int eventfd);

  private:
    struct Slot {
        uint32_t slot;
        uint64_t gpa;
        const GuestMemory* memory;
    };
    const Slot& find_slot(uint32_t slot) const;

    const Kvm& kvm_;
    Fd fd_;
    std::vector<Slot> slots_;
};

class Vcpu {
  public:
    Vcpu(Vm& vm, int id);
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;
    ~Vcpu();

    int id() const { return id_; }

    // Runs the guest until its next exit and describes the exit without KVM
    // types (vnd/exit.hpp), stamped with `t_exit_ns` taken right after. A
    // kick (kick(), or one that got in first) and a signal both come back
    // as ExitReason::Interrupted: the caller knows what the kick meant.
    // Other errors throw KvmError. The exit's data points into the vCPU's
    // shared page and is valid until the next run().
    vnd::Exit run();

    // The guest's RIP and where its code is (for the trace and the exit
    // policy): from the registers KVM copied with the exit when sync_regs()
    // is on, through the ioctls otherwise.
    struct CodeLocation {
        uint64_t rip;
        std::optional<uint64_t> phys;  // nullopt: not mapped by the guest's page tables
        CpuMode mode;
    };
    CodeLocation code_location() const;

    // The raw entry and the shared page, for the benchmark's bare loop (the
    // peer the exit path is measured against) and vid's own tests; the
    // worker uses run().
    enum class RunStatus { Exited, Kicked };
    RunStatus enter();
    const kvm_run* kvm_run_page() const { return run_; }

    // Makes the vCPU leave the guest soon, from any thread: sets
    // immediate_exit (covers a kick that lands before KVM_RUN) and signals
    // the thread that runs the vCPU (covers one inside KVM_RUN).
    void kick();
    // Records the calling thread as the one that runs this vCPU.
    void bind_to_current_thread();

    kvm_regs regs() const;
    void set_regs(const kvm_regs& regs);

    // Completes an I/O or MMIO exit that was handed to user space but not
    // yet finished: KVM finishes the instruction (an IN's register write,
    // RIP past it) only on the next KVM_RUN. Enters once with immediate_exit
    // set, so the guest runs no further. Call it on the vCPU's thread
    // before save_state(), or the saved state sits in the middle of an
    // instruction (KVM API docs, "KVM_RUN", the note on pending I/O).
    void complete_pending_io();
    // Everything architectural (see vcpu_state.hpp); restore_state() puts it
    // into this vCPU in the documented order.
    VcpuState save_state() const;
    void restore_state(const VcpuState& state);
    kvm_sregs sregs() const;
    void set_sregs(const kvm_sregs& sregs);
    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries);
    // Asks KVM to copy registers into kvm_run on every exit (KVM_CAP_SYNC_REGS),
    // saving an ioctl per exit when tracing needs the RIP. Returns false if
    // the host cannot.
    bool sync_regs(uint64_t mask);
    // Guest-linear to guest-physical, through the guest's page tables.
    std::optional<uint64_t> translate(uint64_t linear) const;

  private:
    // Whether the registers are the INIT state (the vCPU was reset).
    bool in_init_state() const;

    const Vm* vm_;
    int id_;
    Fd fd_;
    std::vector<kvm_cpuid_entry2> cpuid_;  // as set, for save_state()
    kvm_run* run_ = nullptr;
    size_t run_size_ = 0;
    uint64_t sync_supported_ = 0;  // KVM_CAP_SYNC_REGS mask
    uint64_t synced_ = 0;          // what sync_regs() turned on
    std::atomic<pthread_t> thread_{};
    std::atomic<bool> bound_{false};
};

}  // namespace ptv::vid
