// Linked into every test executable of the tsan preset only (BERTH_SANITIZER=thread).
//
// Debian's libabsl is not built with -fsanitize=thread, so ThreadSanitizer cannot see that
// absl::Mutex orders anything: every access under one looks like a race. This file defines
// absl::Mutex's and absl::CondVar's locking entry points in the executable itself (the same
// symbols, which the dynamic linker then prefers to the library's), calls the library's own
// through dlsym(RTLD_NEXT) and tells ThreadSanitizer about the order: __tsan_release before
// the mutex is given up, __tsan_acquire once it is held again. Reader locks are treated like
// writer locks, which can hide a race between two readers, never invent one.
//
// absl/synchronization/mutex.h is not included on purpose: its declarations of the same
// symbols would clash with these definitions. The by-value absl::Time and absl::Duration are
// passed as what they are, 16 trivially copyable bytes.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

struct Duration {  // absl::Duration's layout
  int64_t hi;
  uint32_t lo;
};
struct Time {  // absl::Time's layout
  Duration rep;
};

template <typename Fn>
Fn real(const char* symbol) {
  void* f = ::dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    std::fprintf(stderr, "tsan absl annotations: %s not found\n", symbol);
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

}  // namespace

// absl::Mutex: `mu` is the object (this).

extern "C" void berth_tsan_lock(void* mu) __asm__("_ZN4absl7debian35Mutex4LockEv");
extern "C" void berth_tsan_lock(void* mu) {
  static const auto fn = real<void (*)(void*)>("_ZN4absl7debian35Mutex4LockEv");
  fn(mu);
  __tsan_acquire(mu);
}

extern "C" void berth_tsan_reader_lock(void* mu) __asm__("_ZN4absl7debian35Mutex10ReaderLockEv");
extern "C" void berth_tsan_reader_lock(void* mu) {
  static const auto fn = real<void (*)(void*)>("_ZN4absl7debian35Mutex10ReaderLockEv");
  fn(mu);
  __tsan_acquire(mu);
}

extern "C" void berth_tsan_unlock(void* mu) __asm__("_ZN4absl7debian35Mutex6UnlockEv");
extern "C" void berth_tsan_unlock(void* mu) {
  static const auto fn = real<void (*)(void*)>("_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(mu);
  fn(mu);
}

extern "C" void berth_tsan_reader_unlock(void* mu) __asm__("_ZN4absl7debian35Mutex12ReaderUnlockEv");
extern "C" void berth_tsan_reader_unlock(void* mu) {
  static const auto fn = real<void (*)(void*)>("_ZN4absl7debian35Mutex12ReaderUnlockEv");
  __tsan_release(mu);
  fn(mu);
}

extern "C" bool berth_tsan_try_lock(void* mu) __asm__("_ZN4absl7debian35Mutex7TryLockEv");
extern "C" bool berth_tsan_try_lock(void* mu) {
  static const auto fn = real<bool (*)(void*)>("_ZN4absl7debian35Mutex7TryLockEv");
  const bool held = fn(mu);
  if (held) __tsan_acquire(mu);
  return held;
}

extern "C" bool berth_tsan_reader_try_lock(void* mu) __asm__("_ZN4absl7debian35Mutex13ReaderTryLockEv");
extern "C" bool berth_tsan_reader_try_lock(void* mu) {
  static const auto fn = real<bool (*)(void*)>("_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool held = fn(mu);
  if (held) __tsan_acquire(mu);
  return held;
}

extern "C" void berth_tsan_lock_when(void* mu, const void* cond) __asm__("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
extern "C" void berth_tsan_lock_when(void* mu, const void* cond) {
  static const auto fn = real<void (*)(void*, const void*)>("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  fn(mu, cond);
  __tsan_acquire(mu);
}

extern "C" void berth_tsan_reader_lock_when(void* mu, const void* cond) __asm__("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
extern "C" void berth_tsan_reader_lock_when(void* mu, const void* cond) {
  static const auto fn = real<void (*)(void*, const void*)>("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  fn(mu, cond);
  __tsan_acquire(mu);
}

extern "C" bool berth_tsan_lock_when_timeout(void* mu, const void* cond, Duration d) __asm__("_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
extern "C" bool berth_tsan_lock_when_timeout(void* mu, const void* cond, Duration d) {
  static const auto fn = real<bool (*)(void*, const void*, Duration)>("_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool r = fn(mu, cond, d);
  __tsan_acquire(mu);  // held on return, whatever the result
  return r;
}

extern "C" bool berth_tsan_lock_when_deadline(void* mu, const void* cond, Time t) __asm__("_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
extern "C" bool berth_tsan_lock_when_deadline(void* mu, const void* cond, Time t) {
  static const auto fn = real<bool (*)(void*, const void*, Time)>("_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool r = fn(mu, cond, t);
  __tsan_acquire(mu);  // held on return, whatever the result
  return r;
}

extern "C" bool berth_tsan_reader_lock_when_timeout(void* mu, const void* cond, Duration d) __asm__("_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
extern "C" bool berth_tsan_reader_lock_when_timeout(void* mu, const void* cond, Duration d) {
  static const auto fn = real<bool (*)(void*, const void*, Duration)>("_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool r = fn(mu, cond, d);
  __tsan_acquire(mu);  // held on return, whatever the result
  return r;
}

extern "C" bool berth_tsan_reader_lock_when_deadline(void* mu, const void* cond, Time t) __asm__("_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
extern "C" bool berth_tsan_reader_lock_when_deadline(void* mu, const void* cond, Time t) {
  static const auto fn = real<bool (*)(void*, const void*, Time)>("_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool r = fn(mu, cond, t);
  __tsan_acquire(mu);  // held on return, whatever the result
  return r;
}

extern "C" void berth_tsan_await(void* mu, const void* cond) __asm__("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
extern "C" void berth_tsan_await(void* mu, const void* cond) {
  static const auto fn = real<void (*)(void*, const void*)>("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(mu);  // may be given up while waiting
  fn(mu, cond);
  __tsan_acquire(mu);
}

extern "C" bool berth_tsan_await_timeout(void* mu, const void* cond, Duration d) __asm__("_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
extern "C" bool berth_tsan_await_timeout(void* mu, const void* cond, Duration d) {
  static const auto fn = real<bool (*)(void*, const void*, Duration)>("_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  __tsan_release(mu);  // may be given up while waiting
  const bool r = fn(mu, cond, d);
  __tsan_acquire(mu);
  return r;
}

extern "C" bool berth_tsan_await_deadline(void* mu, const void* cond, Time t) __asm__("_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
extern "C" bool berth_tsan_await_deadline(void* mu, const void* cond, Time t) {
  static const auto fn = real<bool (*)(void*, const void*, Time)>("_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(mu);  // may be given up while waiting
  const bool r = fn(mu, cond, t);
  __tsan_acquire(mu);
  return r;
}

// absl::CondVar: `cv` is the object, `mu` the mutex it gives up while waiting.

extern "C" void berth_tsan_wait(void* cv, void* mu) __asm__("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
extern "C" void berth_tsan_wait(void* cv, void* mu) {
  static const auto fn = real<void (*)(void*, void*)>("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  fn(cv, mu);
  __tsan_acquire(mu);
}

extern "C" bool berth_tsan_wait_timeout(void* cv, void* mu, Duration d) __asm__("_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
extern "C" bool berth_tsan_wait_timeout(void* cv, void* mu, Duration d) {
  static const auto fn = real<bool (*)(void*, void*, Duration)>("_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  const bool r = fn(cv, mu, d);
  __tsan_acquire(mu);
  return r;
}

extern "C" bool berth_tsan_wait_deadline(void* cv, void* mu, Time t) __asm__("_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
extern "C" bool berth_tsan_wait_deadline(void* cv, void* mu, Time t) {
  static const auto fn = real<bool (*)(void*, void*, Time)>("_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  const bool r = fn(cv, mu, t);
  __tsan_acquire(mu);
  return r;
}
