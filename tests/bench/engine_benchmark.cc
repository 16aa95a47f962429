// Benchmarks of the session engine on the catalogue's demo routine: one timer
// step, a command pair, rendering one event, and building the timeline.
// Figures and how to reproduce them: docs/PERFORMANCE.md, "Engine".
//
//   build/engine_benchmark                       # full run
//   build/engine_benchmark --benchmark_min_time=0.01   # smoke (ctest)
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/catalog/catalog.h"
#include "services/catalog/routine_builder.h"
#include "services/session/renderer.h"
#include "services/session/session_engine.h"
#include "services/session/timeline.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::coach::v1::SessionEvent;

const absl::Time kStart = absl::FromUnixSeconds(1767596400);

// The catalogue, the demo routine and its engine, built once.
struct Demo {
  std::unique_ptr<Catalog> catalog;
  coach::v1::Routine routine;
  std::unique_ptr<SessionEngine> engine;
};

const Demo& GetDemo() {
  static const Demo* demo = [] {
    auto* d = new Demo;
    absl::StatusOr<Catalog> catalog =
        Catalog::LoadFromFile(std::string(COACHD_SOURCE_DIR) +
                              "/services/catalog/back_catalog.textproto");
    if (!catalog.ok()) std::abort();
    d->catalog = std::make_unique<Catalog>(*std::move(catalog));
    absl::StatusOr<coach::v1::Routine> routine =
        BuildPresetRoutine(*d->catalog, "demo");
    if (!routine.ok()) std::abort();
    d->routine = *std::move(routine);
    absl::StatusOr<std::unique_ptr<SessionEngine>> engine =
        SessionEngine::Create(d->catalog.get(), d->routine, 1.0);
    if (!engine.ok()) std::abort();
    d->engine = *std::move(engine);
    return d;
  }();
  return *demo;
}

// A freshly started demo session.
SessionRecord Started() {
  const Demo& demo = GetDemo();
  SessionRecord record;
  record.set_session_id("bench");
  record.set_owner("bench");
  record.set_time_scale(1.0);
  *record.mutable_routine() = demo.routine;
  demo.engine->Start(kStart, &record);
  return record;
}

// One timer step of a running session: Tick at the record's due deadline.
// When the session finishes it starts again (not timed).
void BM_EngineTick(benchmark::State& state) {
  const SessionEngine& engine = *GetDemo().engine;
  SessionRecord record = Started();
  int64_t events = 0;
  for (auto _ : state) {
    absl::Time due = SessionEngine::NextDeadline(record);
    if (due == absl::InfiniteFuture()) {
      state.PauseTiming();
      record = Started();
      due = SessionEngine::NextDeadline(record);
      state.ResumeTiming();
    }
    std::vector<SessionEvent> out = engine.Tick(due, &record);
    events += static_cast<int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["events/step"] =
      benchmark::Counter(static_cast<double>(events) /
                         static_cast<double>(std::max<int64_t>(
                             1, static_cast<int64_t>(state.iterations()))));
}
BENCHMARK(BM_EngineTick);

// PAUSE then RESUME on a running session mid-routine (two commands).
void BM_EngineCommand(benchmark::State& state) {
  const SessionEngine& engine = *GetDemo().engine;
  SessionRecord record = Started();
  for (int i = 0; i < 60; ++i) {
    engine.Tick(SessionEngine::NextDeadline(record), &record);
  }
  // Commands come between two timer deadlines.
  const absl::Time now =
      SessionEngine::NextDeadline(record) - absl::Milliseconds(100);
  const EngineCommand pause{coach::v1::COMMAND_TYPE_PAUSE, "",
                            coach::v1::DEVICE_KIND_VOICE};
  const EngineCommand resume{coach::v1::COMMAND_TYPE_RESUME, "",
                             coach::v1::DEVICE_KIND_VOICE};
  for (auto _ : state) {
    absl::StatusOr<std::vector<SessionEvent>> paused =
        engine.Apply(pause, now, &record);
    absl::StatusOr<std::vector<SessionEvent>> resumed =
        engine.Apply(resume, now, &record);
    if (!paused.ok() || !resumed.ok()) {
      state.SkipWithError("pause/resume refused");
      break;
    }
    benchmark::DoNotOptimize(resumed->data());
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_EngineCommand);

// Events of one demo session, one of each kind below, with what rendering
// them needs.
struct Sample {
  const char* name;
  SessionEvent event;
  RenderContext context;
};

const std::vector<Sample>& Samples() {
  static const std::vector<Sample>* samples = [] {
    const Demo& demo = GetDemo();
    static const SessionRecord* record = new SessionRecord(Started());
    SessionRecord run = *record;
    std::vector<SessionEvent> all = demo.engine->Start(kStart, &run);
    while (SessionEngine::NextDeadline(run) != absl::InfiniteFuture()) {
      for (SessionEvent& ev :
           demo.engine->Tick(SessionEngine::NextDeadline(run), &run)) {
        all.push_back(std::move(ev));
      }
    }
    const std::vector<std::pair<const char*, SessionEvent::PayloadCase>>
        wanted = {{"hold_countdown", SessionEvent::kHoldCountdown},
                  {"rep", SessionEvent::kRep},
                  {"step_cue", SessionEvent::kStepCue},
                  {"set_started", SessionEvent::kSetStarted},
                  {"rest_started", SessionEvent::kRestStarted},
                  {"exercise_intro", SessionEvent::kExerciseIntro},
                  {"session_done", SessionEvent::kSessionDone}};
    auto* out = new std::vector<Sample>;
    for (const auto& [name, payload] : wanted) {
      for (const SessionEvent& ev : all) {
        if (ev.payload_case() != payload) continue;
        Sample s{name, ev, RenderContext{}};
        s.context.routine = &record->routine();
        s.context.exercise =
            demo.catalog->FindExercise(ev.status().exercise_id());
        s.context.flow_or_step_index = ev.card().current_step_index();
        s.context.timer_seconds = ev.card().timer_seconds();
        out->push_back(std::move(s));
        break;
      }
    }
    if (out->size() != wanted.size()) std::abort();
    return out;
  }();
  return *samples;
}

// Renders one event for every device kind (speech, SSML and card).
void BM_RenderEvent(benchmark::State& state) {
  const Sample& sample = Samples()[static_cast<size_t>(state.range(0))];
  SessionEvent ev = sample.event;
  for (auto _ : state) {
    ev.clear_speech();
    ev.clear_card();
    RenderEvent(sample.context, &ev);
    benchmark::DoNotOptimize(ev.speech().text().data());
  }
  state.SetLabel(sample.name);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderEvent)->DenseRange(0, 6);

// Unrolls the demo routine into its timeline.
void BM_TimelineBuild(benchmark::State& state) {
  const Demo& demo = GetDemo();
  int steps = 0;
  for (auto _ : state) {
    absl::StatusOr<Timeline> t = Timeline::Build(*demo.catalog, demo.routine);
    if (!t.ok()) {
      state.SkipWithError("timeline refused");
      break;
    }
    steps = t->size();
    benchmark::DoNotOptimize(steps);
  }
  state.counters["steps"] = steps;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimelineBuild);

// A whole demo session, start to SessionDone, at normal speed.
void BM_EngineWholeSession(benchmark::State& state) {
  const SessionEngine& engine = *GetDemo().engine;
  int64_t events = 0;
  for (auto _ : state) {
    SessionRecord record;
    *record.mutable_routine() = GetDemo().routine;
    record.set_time_scale(1.0);
    events = static_cast<int64_t>(engine.Start(kStart, &record).size());
    while (SessionEngine::NextDeadline(record) != absl::InfiniteFuture()) {
      events += static_cast<int64_t>(
          engine.Tick(SessionEngine::NextDeadline(record), &record).size());
    }
    benchmark::DoNotOptimize(record);
  }
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_EngineWholeSession)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace coachd

BENCHMARK_MAIN();
