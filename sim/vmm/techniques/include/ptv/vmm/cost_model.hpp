// The cost model: modelled cycles per event, in one place, each with where
// it comes from. These are a model for comparing techniques on one scale,
// not a prediction of any machine; the `kvm` column of `ptv vmm compare`
// and bench/kvm-exits give real times on this machine.
#pragma once

#include <cstdint>

namespace ptv::vmm::cost {

// One guest instruction executed directly (natively, or in non-root mode,
// or by the deprivileged guest): a CPI of 1, the usual first approximation.
constexpr uint64_t kInstruction = 1;

// A device register access on the bare machine: an uncached bus cycle to
// an ISA-era port costs on the order of a microsecond, i.e. about 1,000
// cycles at the ~1 GHz clocks of the time (a 16550 sits behind the LPC bus).
constexpr uint64_t kDeviceAccess = 1000;

// Trap-and-emulate: the fault (#GP) into the VMM, decoding the faulting
// instruction, emulating it against the virtual CPU and returning with
// IRET. Adams & Agesen (ASPLOS 2006) measured a software VMM's handling of
// such events in the low thousands of cycles on a Pentium 4; 2,000 here.
constexpr uint64_t kTrap = 2000;

// VT-x VM exit plus VM entry round trip. On the first VT-x processors it
// cost over a thousand cycles (Adams & Agesen 2006 discuss it at length);
// later generations cut it to a few hundred (Agesen et al., "Software
// techniques for avoiding hardware virtualization exits", 2012). We assume
// 1,500. On this machine's kvm_pvm (paravirtualised, nested KVM)
// bench/kvm-exits measures about 17 µs per exit: see the kvm column.
constexpr uint64_t kVmExit = 1500;

// Handling a VM exit in the VMM (decode the exit qualification, call the
// device) on top of the round trip.
constexpr uint64_t kVmmHandler = 500;

// A hypercall: a deliberate, cheap transition into the hypervisor with the
// arguments in registers or a shared ring (Barham et al., Xen, SOSP 2003):
// no instruction decoding, no faulting path; about a system call's cost.
constexpr uint64_t kHypercall = 300;

// Reflecting a guest exception or INT n into the guest's own handler
// (software VMMs must build the guest's interrupt frame themselves).
constexpr uint64_t kReflect = 2000;

// Binary translation (Adams & Agesen 2006, section 3). These four are our
// assumptions, sized by what the translated code does, not measurements:
// - translating one guest instruction (decode, classify, emit), paid once
//   per instruction per translation and amortised by the cache;
constexpr uint64_t kTranslateInstruction = 500;
// - an inline translation: a few TC instructions in place of one guest
//   instruction (a rewritten branch, a read of the virtual CPU);
constexpr uint64_t kInlineTranslation = 3;
// - lookup(): hashing a guest address into the TC and jumping there, for
//   indirect transfers and returns (the paper's "call/ret" overhead);
constexpr uint64_t kTcLookup = 30;
// - a callout: leaving the TC for the VMM, emulating the instruction on the
//   virtual CPU and coming back; cheaper than a trap (no fault, no decode
//   of a faulting instruction), dearer than inline code.
constexpr uint64_t kCallout = 400;

// Delivering an exception or interrupt through the IDT in hardware.
constexpr uint64_t kHardwareEvent = 200;

}  // namespace ptv::vmm::cost
