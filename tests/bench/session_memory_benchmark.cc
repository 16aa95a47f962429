// What one live session with no subscriber costs coachd in memory: the heap
// bytes and blocks it holds, and the resident set it adds, at 1,000, 10,000
// and 100,000 live sessions (Google Benchmark; figures in
// docs/PERFORMANCE.md, "Memory per live session").
//
// coachd runs in process (CoachServer on 127.0.0.1:0, the embedded store, a
// FakeClock, no timer thread). Each session is started by a person of its
// own with the "demo" preset and then paused, as loadgen --mode=idle does
// before it opens any stream; nothing subscribes. A session is then held by
// every part that keeps something per live session: the store (record and
// history), the timer driver and queue, the runner's engine cache, the
// coach board and the quotas. The heap is counted by this binary's own
// operator new and delete (every thread, the bytes malloc really gave), so
// the figure does not depend on what the allocator returns to the system;
// the resident set is read from /proc/self/statm.
//
//   build/tests/bench/session_memory_benchmark   # 1k, 10k, 100k sessions
//   build/tests/bench/session_memory_benchmark --benchmark_filter=/1000/
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "coach/v1/session.pb.h"
#include "services/auth/identity.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"

// The replaced operator new and delete below are malloc and free underneath;
// gcc cannot see that they pair up.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

// Bytes and blocks the C++ heap holds now (every thread).
std::atomic<int64_t> g_heap_bytes{0};
std::atomic<int64_t> g_heap_blocks{0};

void* Counted(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  g_heap_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
  g_heap_blocks.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void Uncounted(void* p) noexcept {
  if (p == nullptr) return;
  g_heap_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
  g_heap_blocks.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}

void* AlignedCounted(std::size_t n, std::align_val_t align) {
  const std::size_t a = static_cast<std::size_t>(align);
  return Counted(std::aligned_alloc(a, (n + a - 1) / a * a));
}

// The nothrow forms: null instead of std::bad_alloc.
template <typename Allocate>
void* NothrowCounted(Allocate allocate) noexcept {
  try {
    return allocate();
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace

void* operator new(std::size_t n) { return Counted(std::malloc(n ? n : 1)); }
void* operator new[](std::size_t n) { return Counted(std::malloc(n ? n : 1)); }
void* operator new(std::size_t n, std::align_val_t a) {
  return AlignedCounted(n ? n : 1, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return AlignedCounted(n ? n : 1, a);
}
// The whole family is replaced, the nothrow forms too: gRPC allocates with
// `new (std::nothrow)`, and a sanitizer's own nothrow new paired with the
// free above is an alloc-dealloc mismatch.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return NothrowCounted([n] { return Counted(std::malloc(n ? n : 1)); });
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return NothrowCounted([n] { return Counted(std::malloc(n ? n : 1)); });
}
void* operator new(std::size_t n, std::align_val_t a,
                   const std::nothrow_t&) noexcept {
  return NothrowCounted([n, a] { return AlignedCounted(n ? n : 1, a); });
}
void* operator new[](std::size_t n, std::align_val_t a,
                     const std::nothrow_t&) noexcept {
  return NothrowCounted([n, a] { return AlignedCounted(n ? n : 1, a); });
}
void operator delete(void* p) noexcept { Uncounted(p); }
void operator delete[](void* p) noexcept { Uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { Uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { Uncounted(p); }
void operator delete(void* p, std::align_val_t) noexcept { Uncounted(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Uncounted(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  Uncounted(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  Uncounted(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { Uncounted(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  Uncounted(p);
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  Uncounted(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  Uncounted(p);
}

namespace coachd {
namespace {

// The process's resident set, in bytes.
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct Usage {
  int64_t heap_bytes = 0;
  int64_t heap_blocks = 0;
  int64_t resident = 0;
};

Usage Now() {
  malloc_trim(0);  // Freed memory back to the system, for the resident set.
  return Usage{g_heap_bytes.load(), g_heap_blocks.load(), ResidentBytes()};
}

void BM_LiveSessionMemory(benchmark::State& state) {
  const int sessions = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth_secret = "bench-secret";
    options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                           "/services/catalog/back_catalog.textproto";
    options.clock = &clock;
    options.run_timer_thread = false;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    if (!server.ok()) {
      state.SkipWithError(std::string(server.status().message()).c_str());
      return;
    }
    SessionRunner& runner = (*server)->runner();
    const Usage before = Now();
    std::string last_session;
    state.ResumeTiming();

    for (int i = 0; i < sessions; ++i) {
      const Identity who(absl::StrCat("person-", i), Role::kDevice);
      coach::v1::StartSessionRequest start;
      start.set_routine_id("demo");
      absl::StatusOr<coach::v1::SessionView> view = runner.Start(who, start);
      if (!view.ok()) {
        state.SkipWithError(std::string(view.status().message()).c_str());
        return;
      }
      last_session = view->session_id();
      coach::v1::SendCommandRequest pause;
      pause.set_session_id(view->session_id());
      pause.set_command_id(absl::StrCat("pause-", i));
      pause.set_command(coach::v1::COMMAND_TYPE_PAUSE);
      absl::StatusOr<coach::v1::SendCommandResponse> paused =
          runner.Command(who, pause);
      if (!paused.ok()) {
        state.SkipWithError(std::string(paused.status().message()).c_str());
        return;
      }
    }
    (*server)->board().Drain();

    state.PauseTiming();
    const Usage after = Now();
    const double n = sessions;
    // What the store keeps of the last session, serialized: its record
    // (and the record's parts) and its history.
    absl::StatusOr<coach::internal::SessionRecord> record =
        (*server)->store().Load(last_session);
    if (record.ok()) {
      state.counters["record_bytes"] = record->ByteSizeLong();
      state.counters["record_routine_bytes"] = record->routine().ByteSizeLong();
      state.counters["record_last_cue_bytes"] =
          record->engine().last_cue().ByteSizeLong();
      absl::StatusOr<HistoryRead> history = (*server)->store().ReadHistory(
          last_session, record->epoch(), 0, 1000);
      if (history.ok()) {
        size_t bytes = 0;
        for (const StoredEvent& ev : history->events)
          bytes += ev.Wire()->size();
        state.counters["history_events"] = history->events.size();
        state.counters["history_bytes"] = bytes;
      }
    }
    state.counters["heap_bytes_per_session"] =
        (after.heap_bytes - before.heap_bytes) / n;
    state.counters["heap_blocks_per_session"] =
        (after.heap_blocks - before.heap_blocks) / n;
    state.counters["rss_bytes_per_session"] =
        (after.resident - before.resident) / n;
    (*server)->Shutdown(absl::ZeroDuration());
    server->reset();
    state.ResumeTiming();
  }
  state.counters["sessions_started_per_s"] = benchmark::Counter(
      static_cast<double>(sessions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LiveSessionMemory)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace coachd

BENCHMARK_MAIN();
