// Saving and restoring a vCPU's whole state (vcpu_state.hpp), and finishing
// a pending I/O exit before it is saved.
#include "ptv/vid/vcpu_state.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "ioctl.hpp"
#include "ptv/vid/kvm.hpp"

namespace ptv::vid {

using detail::xioctl;

namespace {

// <linux/kvm.h> declares these structs' trailing arrays with
// __DECLARE_FLEX_ARRAY, whose empty struct changes sizeof in C++ and so the
// ioctl numbers (see the CPUID note in kvm.cpp): the sizes the kernel
// expects are spelled out here.
constexpr unsigned long kGetMsrIndexList = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x02, 4);
constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
constexpr unsigned long kSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);
constexpr unsigned long kGetXsave = _IOC(_IOC_READ, KVMIO, 0xa4, 4096);
constexpr unsigned long kSetXsave = _IOC(_IOC_WRITE, KVMIO, 0xa5, 4096);
constexpr unsigned long kGetXsave2 = _IOC(_IOC_READ, KVMIO, 0xcf, 4096);

// The MSRs a 32- or 64-bit guest kernel may have programmed that KVM does
// not keep in SREGS: time stamp counter, SYSENTER, PAT, SYSCALL targets,
// the swapped GS base, TSC_AUX. Only those the host lists are saved.
constexpr uint32_t kWantedMsrs[] = {
    0x10,        // IA32_TIME_STAMP_COUNTER
    0x174,       // IA32_SYSENTER_CS
    0x175,       // IA32_SYSENTER_ESP
    0x176,       // IA32_SYSENTER_EIP
    0x1a0,       // IA32_MISC_ENABLE
    0x277,       // IA32_PAT
    0xc0000081,  // STAR
    0xc0000082,  // LSTAR
    0xc0000083,  // CSTAR
    0xc0000084,  // SFMASK
    0xc0000102,  // KERNEL_GS_BASE
    0xc0000103,  // TSC_AUX
};

std::vector<uint32_t> host_msr_list(int kvm_fd) {
    for (uint32_t n = 256; n <= 16384; n *= 2) {
        std::vector<uint32_t> buf(n + 1);
        buf[0] = n;
        if (xioctl(kvm_fd, kGetMsrIndexList, buf.data()) == 0)
            return {buf.begin() + 1, buf.begin() + 1 + buf[0]};
        if (errno != E2BIG) throw KvmError("KVM_GET_MSR_INDEX_LIST", errno);
    }
    throw KvmError("KVM_GET_MSR_INDEX_LIST", E2BIG);
}

// {u32 nmsrs, u32 pad, kvm_msr_entry entries[]}, laid out by hand.
std::vector<uint8_t> msr_buffer(const std::vector<kvm_msr_entry>& entries) {
    std::vector<uint8_t> buf(8 + entries.size() * sizeof(kvm_msr_entry), 0);
    const uint32_t n = uint32_t(entries.size());
    std::memcpy(buf.data(), &n, 4);
    std::memcpy(buf.data() + 8, entries.data(), entries.size() * sizeof(kvm_msr_entry));
    return buf;
}

template <class T>
std::vector<uint8_t> bytes_of(const T& v) {
    std::vector<uint8_t> b(sizeof(T));
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
}

template <class T>
T struct_from(const VcpuState::Sections& s, const std::string& name) {
    auto it = s.find(name);
    if (it == s.end())
        throw std::invalid_argument(fmt::format("vCPU section '{}' is missing", name));
    if (it->second.size() != sizeof(T))
        throw std::invalid_argument(fmt::format("vCPU section '{}' has {} bytes, expected {}", name,
                                                it->second.size(), sizeof(T)));
    T v;
    std::memcpy(&v, it->second.data(), sizeof(T));
    return v;
}

template <class T>
std::vector<T> array_from(const VcpuState::Sections& s, const std::string& name) {
    auto it = s.find(name);
    if (it == s.end()) return {};
    if (it->second.size() % sizeof(T) != 0)
        throw std::invalid_argument(
            fmt::format("vCPU section '{}' has {} bytes, not a multiple of {}", name,
                        it->second.size(), sizeof(T)));
    std::vector<T> v(it->second.size() / sizeof(T));
    std::memcpy(v.data(), it->second.data(), it->second.size());
    return v;
}

template <class T>
std::vector<uint8_t> array_bytes(const std::vector<T>& v) {
    std::vector<uint8_t> b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

}  // namespace

VcpuState::Sections VcpuState::sections() const {
    Sections s;
    s["cpuid"] = array_bytes(cpuid);
    s["sregs"] = bytes_of(sregs);
    s["regs"] = bytes_of(regs);
    s["fpu"] = bytes_of(fpu);
    if (!xsave.empty()) s["xsave"] = xsave;
    if (xcrs) s["xcrs"] = bytes_of(*xcrs);
    s["msrs"] = array_bytes(msrs);
    if (debugregs) s["debugregs"] = bytes_of(*debugregs);
    if (events) s["events"] = bytes_of(*events);
    return s;
}

VcpuState VcpuState::from_sections(const Sections& s) {
    VcpuState v;
    v.cpuid = array_from<kvm_cpuid_entry2>(s, "cpuid");
    v.sregs = struct_from<kvm_sregs>(s, "sregs");
    v.regs = struct_from<kvm_regs>(s, "regs");
    v.fpu = struct_from<kvm_fpu>(s, "fpu");
    if (auto it = s.find("xsave"); it != s.end()) {
        if (it->second.size() < 4096)
            throw std::invalid_argument(fmt::format(
                "vCPU section 'xsave' has {} bytes, at least 4096 expected", it->second.size()));
        v.xsave = it->second;
    }
    if (s.count("xcrs")) v.xcrs = struct_from<kvm_xcrs>(s, "xcrs");
    v.msrs = array_from<kvm_msr_entry>(s, "msrs");
    if (s.count("debugregs")) v.debugregs = struct_from<kvm_debugregs>(s, "debugregs");
    if (s.count("events")) v.events = struct_from<kvm_vcpu_events>(s, "events");
    return v;
}

void Vcpu::complete_pending_io() {
    auto flag = std::atomic_ref<uint8_t>(run_->immediate_exit);
    flag.store(1);
    // With immediate_exit set KVM_RUN finishes what user space was asked
    // to emulate and returns EINTR without running the guest.
    if (::ioctl(fd_.get(), KVM_RUN, 0) < 0 && errno != EINTR) {
        const int err = errno;
        flag.store(0);
        throw KvmError("KVM_RUN (completing pending I/O)", err);
    }
    flag.store(0);
}

VcpuState Vcpu::save_state() const {
    VcpuState st;
    const int fd = fd_.get();
    st.cpuid = cpuid_;
    st.sregs = sregs();
    st.regs = regs();
    if (xioctl(fd, KVM_GET_FPU, &st.fpu) < 0) throw KvmError("KVM_GET_FPU", errno);

    const Kvm& kvm = vm_->kvm();
    const int xsave2 = xioctl(vm_->fd(), KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
    if (xsave2 > 0) {
        st.xsave.assign(std::max<size_t>(4096, size_t(xsave2)), 0);
        if (xioctl(fd, kGetXsave2, st.xsave.data()) < 0) throw KvmError("KVM_GET_XSAVE2", errno);
    } else if (kvm.check_extension(KVM_CAP_XSAVE) > 0) {
        st.xsave.assign(4096, 0);
        if (xioctl(fd, kGetXsave, st.xsave.data()) < 0) throw KvmError("KVM_GET_XSAVE", errno);
    }
    if (kvm.check_extension(KVM_CAP_XCRS) > 0) {
        kvm_xcrs x{};
        if (xioctl(fd, KVM_GET_XCRS, &x) < 0) throw KvmError("KVM_GET_XCRS", errno);
        st.xcrs = x;
    }

    // The MSRs we want that this host lists. KVM_GET_MSRS stops at the
    // first one it cannot read and says how many it did: drop that one and
    // ask again.
    std::vector<uint32_t> listed = host_msr_list(kvm.fd());
    std::vector<kvm_msr_entry> want;
    for (uint32_t index : kWantedMsrs)
        if (std::find(listed.begin(), listed.end(), index) != listed.end())
            want.push_back(kvm_msr_entry{index, 0, 0});
    while (!want.empty()) {
        auto buf = msr_buffer(want);
        const int got = xioctl(fd, kGetMsrs, buf.data());
        if (got < 0) throw KvmError("KVM_GET_MSRS", errno);
        std::memcpy(want.data(), buf.data() + 8, want.size() * sizeof(kvm_msr_entry));
        if (size_t(got) == want.size()) break;
        want.erase(want.begin() + got);
    }
    st.msrs = want;

    if (kvm.check_extension(KVM_CAP_DEBUGREGS) > 0) {
        kvm_debugregs d{};
        if (xioctl(fd, KVM_GET_DEBUGREGS, &d) < 0) throw KvmError("KVM_GET_DEBUGREGS", errno);
        st.debugregs = d;
    }
    if (kvm.check_extension(KVM_CAP_VCPU_EVENTS) > 0) {
        kvm_vcpu_events e{};
        if (xioctl(fd, KVM_GET_VCPU_EVENTS, &e) < 0) throw KvmError("KVM_GET_VCPU_EVENTS", errno);
        st.events = e;
    }
    return st;
}

void Vcpu::restore_state(const VcpuState& st) {
    const int fd = fd_.get();
    if (!st.cpuid.empty()) set_cpuid(st.cpuid);
    set_sregs(st.sregs);
    set_regs(st.regs);
    if (xioctl(fd, KVM_SET_FPU, &st.fpu) < 0) throw KvmError("KVM_SET_FPU", errno);
    if (!st.xsave.empty() && xioctl(fd, kSetXsave, st.xsave.data()) < 0)
        throw KvmError("KVM_SET_XSAVE", errno);
    if (st.xcrs && xioctl(fd, KVM_SET_XCRS, &*st.xcrs) < 0) throw KvmError("KVM_SET_XCRS", errno);
    if (!st.msrs.empty()) {
        auto buf = msr_buffer(st.msrs);
        const int set = xioctl(fd, kSetMsrs, buf.data());
        if (set < 0) throw KvmError("KVM_SET_MSRS", errno);
        if (size_t(set) != st.msrs.size())
            throw KvmError(
                fmt::format("KVM_SET_MSRS refused MSR {:#x}", st.msrs[size_t(set)].index), EINVAL);
    }
    if (st.debugregs && xioctl(fd, KVM_SET_DEBUGREGS, &*st.debugregs) < 0)
        throw KvmError("KVM_SET_DEBUGREGS", errno);
    if (st.events) {
        // Events last: they may queue an exception against the state above.
        kvm_vcpu_events e = *st.events;
        if (xioctl(fd, KVM_SET_VCPU_EVENTS, &e) < 0) throw KvmError("KVM_SET_VCPU_EVENTS", errno);
    }
}

}  // namespace ptv::vid
