// Counters, gauges and histograms with labels, for a Prometheus scrape
// (exposition.h renders them). No gRPC, no I/O: the lowest layer, usable
// from every other one.
//
// Cheap on the hot path: a series is looked up once by its label values and
// its handle kept; updating it is one atomic operation (a histogram: two or
// three). Counts that a part already keeps are exposed by a callback read at
// scrape time instead of being counted twice.
//
//   MetricsRegistry registry;
//   CounterFamily* rpcs = registry.AddCounter(
//       "coachd_rpc_requests_total", "RPCs finished.", {"method", "code"});
//   Counter* ok = rpcs->WithLabels({"Catalog/ListExercises", "OK"});
//   ok->Increment();                    // any thread
//   CallbackRegistration live = registry.AddCallbackGauge(
//       "coachd_live_sessions", "Sessions followed.", [&] { return n; });
//   std::string text = RenderPrometheusText(registry.Collect());
#ifndef SERVICES_METRICS_METRICS_H_
#define SERVICES_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/metrics/exposition.h"

namespace coachd {

// A monotonic count. Thread-safe, lock-free.
class Counter {
 public:
  // Adds `n` (>= 0).
  void Increment(int64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, in the unit of the
// metric's name: seconds for durations), with their sum. Thread-safe,
// lock-free; a scrape may see an observation's bucket before its sum.
class Histogram {
 public:
  // `bounds` (strictly increasing, finite) must outlive the histogram.
  explicit Histogram(const std::vector<double>* bounds);

  void Observe(double value);
  // Counts per bucket (not cumulative; the last is +Inf) and the sum.
  void Read(MetricSample* sample) const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<int64_t>[]> counts_;  // bounds_->size() + 1.
  std::atomic<double> sum_{0};
};

// Default buckets for durations in seconds: 0.5 ms to 10 s.
const std::vector<double>& DefaultDurationBuckets();

namespace metrics_internal {

// What the registry keeps of a family of series. Thread-safe.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names, std::vector<double> bounds);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // The family now, series sorted by label values.
  virtual MetricFamilySnapshot Snapshot() const = 0;

 protected:
  MetricFamilySnapshot Header() const;
  // Aborts unless `values` has one value per label name.
  void CheckArity(const std::vector<std::string>& values) const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
};

}  // namespace metrics_internal

// The series of one metric, one per set of label values. Thread-safe.
template <typename T>
class MetricFamily : public metrics_internal::FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The series of `values` (one per label name, in order), made at first
  // use. The pointer stays valid as long as the registry: keep it and
  // update it without further lookups.
  T* WithLabels(const std::vector<std::string>& values) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = series_.find(values);
      if (it != series_.end()) return it->second.get();
    }
    CheckArity(values);
    absl::MutexLock lock(&mu_);
    std::unique_ptr<T>& slot = series_[values];
    if (slot == nullptr) slot = Make();
    return slot.get();
  }

  MetricFamilySnapshot Snapshot() const override {
    MetricFamilySnapshot out = Header();
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [values, series] : series_) {
      MetricSample sample;
      sample.label_values = values;
      Read(*series, &sample);
      out.samples.push_back(std::move(sample));
    }
    return out;
  }

 private:
  std::unique_ptr<T> Make() const;
  static void Read(const T& series, MetricSample* sample);

  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_
      ABSL_GUARDED_BY(mu_);
};

// Defined in metrics.cc, for the three kinds of series.
template <>
std::unique_ptr<Counter> MetricFamily<Counter>::Make() const;
template <>
std::unique_ptr<Gauge> MetricFamily<Gauge>::Make() const;
template <>
std::unique_ptr<Histogram> MetricFamily<Histogram>::Make() const;
template <>
void MetricFamily<Counter>::Read(const Counter& series, MetricSample* sample);
template <>
void MetricFamily<Gauge>::Read(const Gauge& series, MetricSample* sample);
template <>
void MetricFamily<Histogram>::Read(const Histogram& series,
                                   MetricSample* sample);

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry;

// A callback's place in the registry: removes it when reset or destroyed.
// Movable, not copyable.
class CallbackRegistration {
 public:
  CallbackRegistration() = default;
  CallbackRegistration(MetricsRegistry* registry, int64_t id)
      : registry_(registry), id_(id) {}
  CallbackRegistration(CallbackRegistration&& other) noexcept {
    *this = std::move(other);
  }
  CallbackRegistration& operator=(CallbackRegistration&& other) noexcept;
  ~CallbackRegistration() { Reset(); }

  // Removes the callback: once this returns it is not running and is never
  // called again. Idempotent.
  void Reset();

 private:
  MetricsRegistry* registry_ = nullptr;
  int64_t id_ = 0;
};

// Reads a callback metric's series at scrape time (label values, value).
// Runs on the scraping thread under the registry's lock: must be quick,
// must not block on I/O and must not call the registry.
using MetricsCallback = std::function<std::vector<MetricSample>()>;

// The metrics of a process or of a part of it. Thread-safe. Names follow
// Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, a counter's ends in "_total", units
// in the name. A wrong name, or a name added again with another type,
// labels or buckets, is a programming error and aborts. Must outlive every
// family pointer and callback registration made from it.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The family of that name, made at first call; the same one after.
  CounterFamily* AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily* AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  // `bounds`: strictly increasing finite upper bounds (+Inf is implied).
  HistogramFamily* AddHistogram(const std::string& name,
                                const std::string& help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds);

  // A counter or gauge (`type`) whose series `read` returns at each scrape:
  // for counts a part already keeps. Several callbacks may share a name
  // (same type and labels): their values are added up per label values,
  // so two servers in one process report the process's total.
  CallbackRegistration AddCallback(const std::string& name,
                                   const std::string& help, MetricType type,
                                   std::vector<std::string> label_names,
                                   MetricsCallback read);
  // AddCallback of one unlabelled gauge.
  CallbackRegistration AddCallbackGauge(const std::string& name,
                                        const std::string& help,
                                        std::function<double()> read);

  // Every family now, sorted by name; callbacks run here.
  std::vector<MetricFamilySnapshot> Collect() const;

 private:
  friend class CallbackRegistration;
  struct Callback {
    int64_t id;
    MetricsCallback read;
  };
  struct CallbackFamily {
    std::string help;
    MetricType type;
    std::vector<std::string> label_names;
    std::vector<Callback> callbacks;
  };
  void Remove(int64_t id);
  template <typename T>
  MetricFamily<T>* AddFamily(const std::string& name, const std::string& help,
                             MetricType type,
                             std::vector<std::string> label_names,
                             std::vector<double> bounds);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyBase>> families_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, CallbackFamily> callbacks_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

// The process-wide registry, for hooks that are free functions (LogRpc):
// there is one per process and it is never destroyed. Parts that are
// composed (CoachServer) take a registry instead.
MetricsRegistry& ProcessMetrics();

}  // namespace coachd

#endif  // SERVICES_METRICS_METRICS_H_
