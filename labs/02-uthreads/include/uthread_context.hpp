// The machine side of a user-level thread, provided by the kit: a stack, the
// registers saved on it while the thread is not running (Boost.Context's
// fiber), and a switch from one such context to another.
//
// This is the "thread context" of ch. 3.1: what a thread package must save
// and restore to switch threads, nothing more. Which thread runs next, the
// ready queue, blocking and waking are the package's business (uthread.cpp),
// not this file's.
//
// Why the kit writes this part: a switch moves the CPU onto another stack
// behind the compiler's back, and AddressSanitizer and ThreadSanitizer must
// be told. Untold, ASan takes the first exception thrown on a thread's stack
// for one on a stack hundreds of GiB long ("ignoring requested __asan_handle_no_return
// ... false positive error reports may follow"), and TSan keeps one call
// stack for all the threads. Boost.Context as Debian builds it does not tell
// them, so switch_to() does, in a build with one of them; in a normal build
// the calls vanish and a switch costs one Boost.Context resume() and a few
// stores.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define UTHREAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UTHREAD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UTHREAD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UTHREAD_TSAN 1
#endif
#endif

#if defined(UTHREAD_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(UTHREAD_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace uthread {

class Context {
  public:
    // Each thread's stack: 64 KiB above a guard page, so that overflowing it
    // faults at once instead of overwriting whatever lies below.
    static constexpr std::size_t kStackSize = 64 * 1024;

    // The context of whatever runs now: the kernel thread that called
    // uthread::run(), on its own stack. Switching away from it saves its
    // registers here; switching to it returns into that kernel thread.
    Context() noexcept {
#if defined(UTHREAD_TSAN)
        tsan_ = __tsan_get_current_fiber();
#endif
    }

    // A new context that starts running `body` on a fresh stack the first
    // time some context switches to it. `body` returns the context to switch
    // to when it is done; this context's stack is then freed (during that
    // switch) and it must never be switched to again.
    explicit Context(std::function<Context&()> body) : body_(std::move(body)) {
#if defined(UTHREAD_TSAN)
        owns_tsan_ = true;
        tsan_ = __tsan_create_fiber(0);
        // Boost.Context runs a few instructions on the new stack while it
        // builds the fiber; TSan must count them there, not on ours.
        void* here = __tsan_get_current_fiber();
        __tsan_switch_to_fiber(tsan_, 0);
#endif
        fiber_ = boost::context::fiber(
            std::allocator_arg, Stack{this},
            [this](boost::context::fiber&& from) { return enter(std::move(from)); });
#if defined(UTHREAD_TSAN)
        __tsan_switch_to_fiber(here, 0);
#endif
    }

    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    // A context that has not finished is unwound first: switched to once
    // more, it throws from the switch_to() it is suspended in, so that the
    // destructors of the objects on its stack run, and comes straight back.
    // That is how a package frees the threads left blocked by a deadlock.
    // Never destroy the context that runs now.
    ~Context() {
        if (body_ && !finished_) {
            cancelled_ = true;
            Context here;
            here.switch_to(*this);
        }
#if defined(UTHREAD_TSAN)
        if (owns_tsan_) __tsan_destroy_fiber(tsan_);
#endif
    }

    // Saves the registers of the running context in *this and continues
    // `next` where it left off (or at the start of its body). *this must be
    // the context that runs now. Returns when a context switches back here.
    void switch_to(Context& next) {
        next.from_ = this;
        before_switch(next, false);
        boost::context::fiber back = std::move(next.fiber_).resume();
        after_switch(std::move(back));
        if (cancelled_) throw Unwind{};
    }

    // True once the body has returned (and its stack is gone).
    bool finished() const noexcept {
        return finished_;
    }

  private:
    // Thrown through the frames of a context destroyed before it finished.
    // Do not catch it (a catch (...) must rethrow).
    struct Unwind {};

    // Boost.Context's guard-paged stack, remembering where it is for ASan.
    struct Stack {
        Context* owner;
        boost::context::stack_context allocate() {
            boost::context::stack_context s =
                boost::context::protected_fixedsize_stack(kStackSize).allocate();
#if defined(UTHREAD_ASAN)
            owner->stack_bottom_ = static_cast<char*>(s.sp) - s.size;
            owner->stack_size_ = s.size;
            // The mapping may reuse the addresses of a freed stack whose
            // last frames never returned (they ended with a switch), and
            // ASan's marks for those frames would still be there.
            __asan_unpoison_memory_region(owner->stack_bottom_, s.size);
#endif
            return s;
        }
        void deallocate(boost::context::stack_context& s) noexcept {
            boost::context::protected_fixedsize_stack(kStackSize).deallocate(s);
        }
    };

    boost::context::fiber enter(boost::context::fiber&& from) {
        after_switch(std::move(from));
        Context* next = from_;  // where a context destroyed before it ran returns
        if (!cancelled_) {
            try {
                next = &body_();
            } catch (Unwind&) {
                next = from_;  // the destructor that unwound us
            }
        }
        finished_ = true;
        next->from_ = this;
        before_switch(*next, true);
        return std::move(next->fiber_);
    }

    // In the context that leaves, just before the stacks change.
    void before_switch([[maybe_unused]] Context& next, [[maybe_unused]] bool for_good) {
#if defined(UTHREAD_ASAN)
        // For good: ASan may drop this stack's fake frames.
        __sanitizer_start_switch_fiber(for_good ? nullptr : &asan_fake_stack_, next.stack_bottom_,
                                       next.stack_size_);
#endif
#if defined(UTHREAD_TSAN)
        // Flag 0: the switch orders everything before it before everything
        // after it, as it does on the one kernel thread.
        __tsan_switch_to_fiber(next.tsan_, 0);
#endif
    }

    // In the context that arrives, just after the stacks changed: `from`
    // holds the registers of the context that switched here (nothing, when
    // that one finished).
    void after_switch(boost::context::fiber&& from) {
#if defined(UTHREAD_ASAN)
        const void* bottom = nullptr;
        std::size_t size = 0;
        __sanitizer_finish_switch_fiber(asan_fake_stack_, &bottom, &size);
        // How ASan learns the bounds of a stack it did not allocate (the
        // kernel thread's own).
        from_->stack_bottom_ = bottom;
        from_->stack_size_ = size;
#endif
        from_->fiber_ = std::move(from);
    }

    std::function<Context&()> body_;
    boost::context::fiber fiber_;
    Context* from_ = nullptr;  // the context that last switched to this one
    bool finished_ = false;
    bool cancelled_ = false;
#if defined(UTHREAD_ASAN)
    void* asan_fake_stack_ = nullptr;
    const void* stack_bottom_ = nullptr;
    std::size_t stack_size_ = 0;
#endif
#if defined(UTHREAD_TSAN)
    void* tsan_ = nullptr;
    bool owns_tsan_ = false;
#endif
};

}  // namespace uthread
