#include "services/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"

namespace coachd {
namespace {

// A broken invariant of the metrics' use (a wrong name, a family added twice
// differently): a programming error found at start-up. This layer is below
// services/common (check.h), so it aborts by itself, in every build.
void Require(bool condition, const std::string& what) {
  if (condition) return;
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool ValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        c == '_' || (allow_colon && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void CheckFamily(const std::string& name, MetricType type,
                 const std::vector<std::string>& label_names,
                 const std::vector<double>& bounds) {
  Require(ValidName(name, /*allow_colon=*/true), "bad metric name: " + name);
  Require(type != MetricType::kCounter || absl::EndsWith(name, "_total"),
          "a counter's name ends in _total: " + name);
  for (const std::string& label : label_names) {
    Require(ValidName(label, /*allow_colon=*/false) &&
                !absl::StartsWith(label, "__"),
            "bad label name " + label + " of " + name);
    Require(type != MetricType::kHistogram || label != "le",
            "a histogram's label cannot be le: " + name);
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    Require(std::isfinite(bounds[i]) && (i == 0 || bounds[i - 1] < bounds[i]),
            "bucket bounds must be finite and increasing: " + name);
  }
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta,
                                       std::memory_order_relaxed)) {
  }
}

}  // namespace

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(new std::atomic<int64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double value) {
  // The first bound >= value (Prometheus buckets are "le"); +Inf past all.
  const size_t bucket =
      std::lower_bound(bounds_->begin(), bounds_->end(), value) -
      bounds_->begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

void Histogram::Read(MetricSample* sample) const {
  sample->bucket_counts.resize(bounds_->size() + 1);
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    sample->bucket_counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  sample->sum = sum_.load(std::memory_order_relaxed);
}

const std::vector<double>& DefaultDurationBuckets() {
  static const auto* const kBuckets =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *kBuckets;
}

namespace metrics_internal {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

MetricFamilySnapshot FamilyBase::Header() const {
  MetricFamilySnapshot out;
  out.name = name_;
  out.help = help_;
  out.type = type_;
  out.label_names = label_names_;
  out.bucket_bounds = bounds_;
  return out;
}

void FamilyBase::CheckArity(const std::vector<std::string>& values) const {
  Require(values.size() == label_names_.size(),
          "wrong number of label values for " + name_);
}

}  // namespace metrics_internal

template <>
std::unique_ptr<Counter> MetricFamily<Counter>::Make() const {
  return std::make_unique<Counter>();
}
template <>
std::unique_ptr<Gauge> MetricFamily<Gauge>::Make() const {
  return std::make_unique<Gauge>();
}
template <>
std::unique_ptr<Histogram> MetricFamily<Histogram>::Make() const {
  return std::make_unique<Histogram>(&bounds());
}
template <>
void MetricFamily<Counter>::Read(const Counter& series, MetricSample* sample) {
  sample->value = static_cast<double>(series.value());
}
template <>
void MetricFamily<Gauge>::Read(const Gauge& series, MetricSample* sample) {
  sample->value = series.value();
}
template <>
void MetricFamily<Histogram>::Read(const Histogram& series,
                                   MetricSample* sample) {
  series.Read(sample);
}

CallbackRegistration& CallbackRegistration::operator=(
    CallbackRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void CallbackRegistration::Reset() {
  if (registry_ == nullptr) return;
  std::exchange(registry_, nullptr)->Remove(id_);
}

template <typename T>
MetricFamily<T>* MetricsRegistry::AddFamily(
    const std::string& name, const std::string& help, MetricType type,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  CheckFamily(name, type, label_names, bounds);
  absl::MutexLock lock(&mu_);
  Require(callbacks_.count(name) == 0,
          "metric added both as a callback and not: " + name);
  std::unique_ptr<metrics_internal::FamilyBase>& slot = families_[name];
  if (slot == nullptr) {
    slot = std::make_unique<MetricFamily<T>>(
        name, help, type, std::move(label_names), std::move(bounds));
  } else {
    Require(slot->type() == type && slot->label_names() == label_names &&
                slot->bounds() == bounds,
            "metric added again differently: " + name);
  }
  return static_cast<MetricFamily<T>*>(slot.get());
}

CounterFamily* MetricsRegistry::AddCounter(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names) {
  return AddFamily<Counter>(name, help, MetricType::kCounter,
                            std::move(label_names), {});
}

GaugeFamily* MetricsRegistry::AddGauge(const std::string& name,
                                       const std::string& help,
                                       std::vector<std::string> label_names) {
  return AddFamily<Gauge>(name, help, MetricType::kGauge,
                          std::move(label_names), {});
}

HistogramFamily* MetricsRegistry::AddHistogram(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  return AddFamily<Histogram>(name, help, MetricType::kHistogram,
                              std::move(label_names), std::move(bounds));
}

CallbackRegistration MetricsRegistry::AddCallback(
    const std::string& name, const std::string& help, MetricType type,
    std::vector<std::string> label_names, MetricsCallback read) {
  Require(type != MetricType::kHistogram,
          "a callback metric is a counter or a gauge: " + name);
  CheckFamily(name, type, label_names, {});
  absl::MutexLock lock(&mu_);
  Require(families_.count(name) == 0,
          "metric added both as a callback and not: " + name);
  auto [it, inserted] = callbacks_.try_emplace(name);
  CallbackFamily& family = it->second;
  if (inserted) {
    family.help = help;
    family.type = type;
    family.label_names = std::move(label_names);
  } else {
    Require(family.type == type && family.label_names == label_names,
            "metric added again differently: " + name);
  }
  const int64_t id = next_id_++;
  family.callbacks.push_back({id, std::move(read)});
  return CallbackRegistration(this, id);
}

CallbackRegistration MetricsRegistry::AddCallbackGauge(
    const std::string& name, const std::string& help,
    std::function<double()> read) {
  return AddCallback(name, help, MetricType::kGauge, {},
                     [read = std::move(read)] {
                       MetricSample sample;
                       sample.value = read();
                       return std::vector<MetricSample>{sample};
                     });
}

void MetricsRegistry::Remove(int64_t id) {
  absl::MutexLock lock(&mu_);
  for (auto it = callbacks_.begin(); it != callbacks_.end(); ++it) {
    std::vector<Callback>& list = it->second.callbacks;
    auto found = std::find_if(list.begin(), list.end(),
                              [id](const Callback& c) { return c.id == id; });
    if (found == list.end()) continue;
    list.erase(found);
    if (list.empty()) callbacks_.erase(it);
    return;
  }
}

std::vector<MetricFamilySnapshot> MetricsRegistry::Collect() const {
  std::vector<MetricFamilySnapshot> out;
  absl::MutexLock lock(&mu_);
  out.reserve(families_.size() + callbacks_.size());
  for (const auto& [name, family] : families_) {
    out.push_back(family->Snapshot());
  }
  for (const auto& [name, family] : callbacks_) {
    MetricFamilySnapshot snapshot;
    snapshot.name = name;
    snapshot.help = family.help;
    snapshot.type = family.type;
    snapshot.label_names = family.label_names;
    std::map<std::vector<std::string>, double> totals;
    for (const Callback& callback : family.callbacks) {
      for (MetricSample& sample : callback.read()) {
        Require(sample.label_values.size() == family.label_names.size(),
                "wrong number of label values for " + name);
        totals[std::move(sample.label_values)] += sample.value;
      }
    }
    for (auto& [values, total] : totals) {
      MetricSample sample;
      sample.label_values = values;
      sample.value = total;
      snapshot.samples.push_back(std::move(sample));
    }
    out.push_back(std::move(snapshot));
  }
  std::sort(out.begin(), out.end(),
            [](const MetricFamilySnapshot& a, const MetricFamilySnapshot& b) {
              return a.name < b.name;
            });
  return out;
}

MetricsRegistry& ProcessMetrics() {
  static MetricsRegistry* const kRegistry = new MetricsRegistry();
  return *kRegistry;
}

}  // namespace coachd
