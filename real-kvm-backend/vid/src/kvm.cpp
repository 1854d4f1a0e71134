#include "ptv/vid/kvm.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <memory>
#include <mutex>
#include "ptv/common/clock.hpp"

#include "ioctl.hpp"

namespace ptv::vid {

namespace {

// The KVM API has been version 12 since Linux 2.6.22 and promises to stay so.
constexpr int kKvmApiVersion = 12;

// Without these a vCPU cannot be run the way ptvlab runs it.
struct RequiredCap {
    long cap;
    const char* name;
};
constexpr RequiredCap kRequired[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
};

// KVM_SET_TSS_ADDR: three pages Intel VMX needs for real-mode emulation,
// placed just below the 4 GiB BIOS area where no guest RAM or device lives.
constexpr uint64_t kTssAddr = 0xfffbd000;

using detail::xioctl;

// struct kvm_cpuid2 ends in a flexible array that <linux/kvm.h> declares
// with __DECLARE_FLEX_ARRAY; in C++ that macro adds an empty struct, which
// makes sizeof 12 instead of 8 and so changes the ioctl numbers. We lay the
// buffer out by hand: {u32 nent, u32 padding, kvm_cpuid_entry2 entries[]}.
constexpr size_t kCpuidHeader = 8;
constexpr unsigned long kGetSupportedCpuid =
    _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCpuidHeader);
constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCpuidHeader);

std::unique_ptr<uint8_t[]> cpuid_buffer(uint32_t nent) {
    const size_t bytes = kCpuidHeader + nent * sizeof(kvm_cpuid_entry2);
    auto buf = std::make_unique<uint8_t[]>(bytes);
    std::memset(buf.get(), 0, bytes);
    std::memcpy(buf.get(), &nent, sizeof nent);
    return buf;
}

// The kick signal only has to interrupt KVM_RUN; its handler does nothing.
void kick_handler(int) {}
void install_kick_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_handler = kick_handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
        sigaction(SIGUSR1, &sa, nullptr);
    });
}

}  // namespace

KvmError::KvmError(const std::string& what, int err)
    : std::runtime_error(fmt::format("{}: {}", what, std::strerror(err))), err_(err) {}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

// --- Kvm -------------------------------------------------------------------

Kvm::Kvm() {
    const char* env = std::getenv("PTV_KVM_DEVICE");
    const std::string path = env && *env ? env : "/dev/kvm";
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            throw KvmUnavailable(fmt::format(
                "{} does not exist: this machine has no KVM; enable virtualization (VT-x/AMD-V) "
                "in the firmware or nested virtualization in the host, and load kvm_intel or "
                "kvm_amd",
                path));
        if (err == EACCES || err == EPERM)
            throw KvmUnavailable(fmt::format(
                "{} is not accessible to this user; add yourself to the 'kvm' group (sudo "
                "usermod -aG kvm $USER, then log in again) or run as root",
                path));
        throw KvmUnavailable(fmt::format("cannot open {}: {}", path, std::strerror(err)));
    }
    fd_ = Fd(fd);
    int version = xioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != kKvmApiVersion)
        throw KvmUnavailable(
            fmt::format("{} speaks KVM API version {}, ptvlab needs {}; is it really a KVM device?",
                        path, version, kKvmApiVersion));
    for (const auto& req : kRequired)
        if (check_extension(req.cap) <= 0)
            throw KvmUnavailable(fmt::format(
                "this kernel's KVM lacks {}; ptvlab needs Linux 4.11 or newer", req.name));
    int size = xioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < int(sizeof(kvm_run))) throw KvmError("KVM_GET_VCPU_MMAP_SIZE", errno);
    vcpu_mmap_size_ = size_t(size);
}

int Kvm::check_extension(long capability) const {
    return xioctl(fd_.get(), KVM_CHECK_EXTENSION, capability);
}

std::vector<kvm_cpuid_entry2> Kvm::supported_cpuid() const {
    // Ask with a growing buffer until KVM stops answering E2BIG.
    for (uint32_t n = 64; n <= 4096; n *= 2) {
        auto buf = cpuid_buffer(n);
        if (xioctl(fd_.get(), kGetSupportedCpuid, buf.get()) == 0) {
            uint32_t got;
            std::memcpy(&got, buf.get(), sizeof got);
            std::vector<kvm_cpuid_entry2> entries(got);
            std::memcpy(entries.data(), buf.get() + kCpuidHeader, got * sizeof(kvm_cpuid_entry2));
            return entries;
        }
        if (errno != E2BIG) throw KvmError("KVM_GET_SUPPORTED_CPUID", errno);
    }
    throw KvmError("KVM_GET_SUPPORTED_CPUID", E2BIG);
}

// --- GuestMemory -------------------------------------------------------------

GuestMemory::GuestMemory(size_t bytes) : size_(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw KvmError(fmt::format("mmap of {} bytes of guest RAM", bytes), errno);
    host_ = static_cast<uint8_t*>(p);
}

GuestMemory::GuestMemory(GuestMemory&& o) noexcept : host_(o.host_), size_(o.size_) {
    o.host_ = nullptr;
    o.size_ = 0;
}

GuestMemory::~GuestMemory() {
    if (host_) ::munmap(host_, size_);
}

// --- Vm ----------------------------------------------------------------------

Vm::Vm(const Kvm& kvm) : kvm_(kvm) {
    int fd = xioctl(kvm.fd(), KVM_CREATE_VM, 0);
    if (fd < 0) throw KvmError("KVM_CREATE_VM", errno);
    fd_ = Fd(fd);
    if (xioctl(fd, KVM_SET_TSS_ADDR, kTssAddr) < 0) throw KvmError("KVM_SET_TSS_ADDR", errno);
}

void Vm::map_memory(uint32_t slot, uint64_t gpa, const GuestMemory& memory, bool dirty_log) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.flags = dirty_log ? KVM_MEM_LOG_DIRTY_PAGES : 0;
    region.guest_phys_addr = gpa;
    region.memory_size = memory.size();
    region.userspace_addr = reinterpret_cast<uint64_t>(memory.host());
    if (xioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0)
        throw KvmError(fmt::format("KVM_SET_USER_MEMORY_REGION slot {} at {:#x}", slot, gpa),
                       errno);
    slots_.push_back({slot, gpa, &memory});
}

const Vm::Slot& Vm::find_slot(uint32_t slot) const {
    for (const auto& s : slots_)
        if (s.slot == slot) return s;
    throw std::invalid_argument(fmt::format("no memory slot {}", slot));
}

void Vm::set_dirty_logging(uint32_t slot, bool on) {
    const Slot& s = find_slot(slot);
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0;
    region.guest_phys_addr = s.gpa;
    region.memory_size = s.memory->size();
    region.userspace_addr = reinterpret_cast<uint64_t>(s.memory->host());
    if (xioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0)
        throw KvmError("KVM_SET_USER_MEMORY_REGION (dirty logging)", errno);
}

bool Vm::has_ioeventfd() const {
    return kvm_.check_extension(KVM_CAP_IOEVENTFD) > 0;
}

namespace {

kvm_ioeventfd ioeventfd_request(bool pio, uint64_t address, uint32_t len, int eventfd) {
    kvm_ioeventfd req{};
    req.addr = address;
    req.len = len;
    req.fd = eventfd;
    req.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
    return req;
}

}  // namespace

void Vm::add_ioeventfd(bool pio, uint64_t address, uint32_t len, int eventfd) {
    kvm_ioeventfd req = ioeventfd_request(pio, address, len, eventfd);
    if (xioctl(fd_.get(), KVM_IOEVENTFD, &req) < 0)
        throw KvmError(fmt::format("KVM_IOEVENTFD at {:#x}", address), errno);
}

void Vm::remove_ioeventfd(bool pio, uint64_t address, uint32_t len, int eventfd) {
    kvm_ioeventfd req = ioeventfd_request(pio, address, len, eventfd);
    req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    if (xioctl(fd_.get(), KVM_IOEVENTFD, &req) < 0)
        throw KvmError(fmt::format("KVM_IOEVENTFD (deassign) at {:#x}", address), errno);
}

std::vector<uint64_t> Vm::dirty_log(uint32_t slot) {
    const Slot& s = find_slot(slot);
    size_t pages = s.memory->size() / 4096;
    std::vector<uint64_t> bitmap((pages + 63) / 64);
    kvm_dirty_log log{};
    log.slot = slot;
    log.dirty_bitmap = bitmap.data();
    if (xioctl(fd_.get(), KVM_GET_DIRTY_LOG, &log) < 0) throw KvmError("KVM_GET_DIRTY_LOG", errno);
    return bitmap;
}

// --- Vcpu --------------------------------------------------------------------

Vcpu::Vcpu(Vm& vm, int id) : vm_(&vm), id_(id) {
    install_kick_handler();
    int fd = xioctl(vm.fd(), KVM_CREATE_VCPU, id);
    if (fd < 0) throw KvmError(fmt::format("KVM_CREATE_VCPU {}", id), errno);
    fd_ = Fd(fd);
    run_size_ = vm.kvm().vcpu_mmap_size();
    void* p = ::mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) throw KvmError("mmap of kvm_run", errno);
    run_ = static_cast<kvm_run*>(p);
    int sync = vm.kvm().check_extension(KVM_CAP_SYNC_REGS);
    sync_supported_ = sync > 0 ? uint64_t(sync) : 0;
}

Vcpu::~Vcpu() {
    if (run_) ::munmap(run_, run_size_);
}

void Vcpu::bind_to_current_thread() {
    thread_.store(pthread_self());
    bound_.store(true);
}

Vcpu::RunStatus Vcpu::enter() {
    if (::ioctl(fd_.get(), KVM_RUN, 0) == 0) return RunStatus::Exited;
    if (errno == EINTR) {
        // A kick: re-arm for the next entry; the caller holds the reason.
        std::atomic_ref<uint8_t>(run_->immediate_exit).store(0);
        return RunStatus::Kicked;
    }
    throw KvmError("KVM_RUN", errno);
}

vnd::Exit Vcpu::run() {
    using vnd::ExitReason;
    vnd::Exit exit;
    if (enter() == RunStatus::Kicked) {
        exit.reason = ExitReason::Interrupted;
        exit.t_exit_ns = now_ns();
        exit.vcpu = uint8_t(id_);
        return exit;
    }
    exit.t_exit_ns = now_ns();
    exit.vcpu = uint8_t(id_);
    const kvm_run* r = run_;
    switch (r->exit_reason) {
        case KVM_EXIT_IO:
            exit.reason = ExitReason::PortIo;
            exit.is_write = r->io.direction == KVM_EXIT_IO_OUT;
            exit.size = r->io.size;
            exit.count = r->io.count;
            exit.address = r->io.port;
            exit.data = reinterpret_cast<uint8_t*>(run_) + r->io.data_offset;
            break;
        case KVM_EXIT_MMIO:
            exit.reason = ExitReason::Mmio;
            exit.is_write = r->mmio.is_write;
            exit.size = uint8_t(r->mmio.len);
            exit.address = r->mmio.phys_addr;
            exit.data = run_->mmio.data;
            break;
        case KVM_EXIT_HLT:
            exit.reason = ExitReason::Hlt;
            exit.interrupts_enabled = r->if_flag;
            break;
        case KVM_EXIT_SHUTDOWN:
            exit.reason = ExitReason::Shutdown;
            exit.vcpu_reset = in_init_state();
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            exit.reason = ExitReason::InternalError;
            exit.hardware_reason = r->internal.suberror;
            break;
        case KVM_EXIT_FAIL_ENTRY:
            exit.reason = ExitReason::FailEntry;
            exit.hardware_reason = r->fail_entry.hardware_entry_failure_reason;
            break;
        case KVM_EXIT_INTR:
            exit.reason = ExitReason::Interrupted;  // a signal
            break;
        default:
            exit.reason = ExitReason::Unknown;
            exit.hardware_reason = r->exit_reason;
    }
    return exit;
}

bool Vcpu::in_init_state() const {
    // The state INIT gives every x86 CPU (SDM Vol. 3, 10.1.1; APM Vol. 2,
    // 14.1.3): CS = F000h with base FFFF0000h, IP = FFF0h. A multiboot guest
    // never runs there: only a reset puts it there.
    const kvm_regs r = regs();
    const kvm_sregs s = sregs();
    return r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000;
}

Vcpu::CodeLocation Vcpu::code_location() const {
    constexpr uint64_t kSynced = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    const bool synced = (synced_ & kSynced) == kSynced;
    const kvm_regs r = synced ? run_->s.regs.regs : regs();
    const kvm_sregs s = synced ? run_->s.regs.sregs : sregs();
    constexpr uint64_t kEferLma = 1u << 10, kCr0Pg = 1u << 31;
    const bool long_mode = (s.efer & kEferLma) && s.cs.l;
    CodeLocation at{r.rip,
                    {},
                    long_mode ? CpuMode::Long64
                    : s.cs.db ? CpuMode::Protected32
                              : CpuMode::Real16};
    uint64_t linear = s.cs.base + r.rip;
    if (!long_mode) linear &= 0xffffffff;
    at.phys = (s.cr0 & kCr0Pg) ? translate(linear) : std::optional<uint64_t>(linear);
    return at;
}

void Vcpu::kick() {
    // kvm_run is shared with the kernel and the vCPU thread: the flag is
    // only ever touched atomically.
    std::atomic_ref<uint8_t>(run_->immediate_exit).store(1);
    if (bound_.load()) pthread_kill(thread_.load(), SIGUSR1);
}

kvm_regs Vcpu::regs() const {
    kvm_regs r{};
    if (xioctl(fd_.get(), KVM_GET_REGS, &r) < 0) throw KvmError("KVM_GET_REGS", errno);
    return r;
}

void Vcpu::set_regs(const kvm_regs& r) {
    if (xioctl(fd_.get(), KVM_SET_REGS, &r) < 0) throw KvmError("KVM_SET_REGS", errno);
}

kvm_sregs Vcpu::sregs() const {
    kvm_sregs s{};
    if (xioctl(fd_.get(), KVM_GET_SREGS, &s) < 0) throw KvmError("KVM_GET_SREGS", errno);
    return s;
}

void Vcpu::set_sregs(const kvm_sregs& s) {
    if (xioctl(fd_.get(), KVM_SET_SREGS, &s) < 0) throw KvmError("KVM_SET_SREGS", errno);
}

void Vcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    auto buf = cpuid_buffer(uint32_t(entries.size()));
    std::memcpy(buf.get() + kCpuidHeader, entries.data(),
                entries.size() * sizeof(kvm_cpuid_entry2));
    if (xioctl(fd_.get(), kSetCpuid2, buf.get()) < 0) throw KvmError("KVM_SET_CPUID2", errno);
    cpuid_ = entries;
}

bool Vcpu::sync_regs(uint64_t mask) {
    if ((mask & sync_supported_) != mask) return false;
    run_->kvm_valid_regs = mask;
    run_->kvm_dirty_regs = 0;
    synced_ = mask;
    return true;
}

std::optional<uint64_t> Vcpu::translate(uint64_t linear) const {
    kvm_translation t{};
    t.linear_address = linear;
    if (xioctl(fd_.get(), KVM_TRANSLATE, &t) < 0 || !t.valid) return std::nullopt;
    return t.physical_address;
}

}  // namespace ptv::vid
