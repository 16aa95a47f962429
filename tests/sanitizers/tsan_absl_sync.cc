// ThreadSanitizer and Debian's Abseil: libabsl_synchronization is not built
// with -fsanitize=thread, so TSan cannot see absl::Mutex order anything, and
// every member guarded by one would look raced. This file (object code of
// every executable of a COACHD_SANITIZE=thread build, so its definitions
// come before Debian Abseil's for the executable and for every library it
// loads) interposes the public locking functions of absl::Mutex and
// absl::CondVar: each calls
// Abseil's own (dlsym RTLD_NEXT) and tells TSan what it did (a release
// before unlocking, an acquire after locking). Conditions (absl::Condition)
// are evaluated by Abseil inside its locking, sometimes on the unlocking
// thread: their reads are ignored, so a race on a condition's own reads is
// not reported. Nothing of this is built outside the TSan build.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}

namespace {

#define COACHD_STR2(x) #x
#define COACHD_STR(x) COACHD_STR2(x)

// Abseil's own definition of `absl::<ns>::` + `rest` (Itanium mangling).
template <typename F>
F Real(const char* prefix, const char* rest) {
  const std::string ns = COACHD_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      std::string(prefix) + std::to_string(ns.size()) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    fprintf(stderr, "tsan_absl_sync: %s not found\n", name.c_str());
    abort();
  }
  return reinterpret_cast<F>(f);
}

#define COACHD_REAL(type, prefix, rest) \
  static const auto real = Real<type>(prefix, rest)

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  COACHD_REAL(void (*)(Mutex*), "_ZN4absl", "5Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::Unlock() {
  COACHD_REAL(void (*)(Mutex*), "_ZN4absl", "5Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

bool Mutex::TryLock() {
  COACHD_REAL(bool (*)(Mutex*), "_ZN4absl", "5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::ReaderLock() {
  COACHD_REAL(void (*)(Mutex*), "_ZN4absl", "5Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderUnlock() {
  COACHD_REAL(void (*)(Mutex*), "_ZN4absl", "5Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

bool Mutex::ReaderTryLock() {
  COACHD_REAL(bool (*)(Mutex*), "_ZN4absl", "5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  COACHD_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl",
              "5Mutex8LockWhenERKNS0_9ConditionE");
  real(this, cond);
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  COACHD_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl",
              "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, cond);
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  COACHD_REAL(bool (*)(Mutex*, const Condition&, Duration), "_ZN4absl",
              "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool met = real(this, cond, timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  COACHD_REAL(bool (*)(Mutex*, const Condition&, Time), "_ZN4absl",
              "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool met = real(this, cond, deadline);
  __tsan_acquire(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  COACHD_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl",
              "5Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  real(this, cond);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  COACHD_REAL(bool (*)(Mutex*, const Condition&, Duration), "_ZN4absl",
              "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  __tsan_release(this);
  const bool met = real(this, cond, timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  COACHD_REAL(bool (*)(Mutex*, const Condition&, Time), "_ZN4absl",
              "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  const bool met = real(this, cond, deadline);
  __tsan_acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  COACHD_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl",
              "7CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  COACHD_REAL(bool (*)(CondVar*, Mutex*, Duration), "_ZN4absl",
              "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  const bool timed_out = real(this, mu, timeout);
  __tsan_acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  COACHD_REAL(bool (*)(CondVar*, Mutex*, Time), "_ZN4absl",
              "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  const bool timed_out = real(this, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}

bool Condition::Eval() const {
  COACHD_REAL(bool (*)(const Condition*), "_ZNK4absl", "9Condition4EvalEv");
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  const bool result = real(this);
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  return result;
}

ABSL_NAMESPACE_END
}  // namespace absl
