#include "services/metrics/metrics.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(MetricsRegistry, ASeriesIsMadeOnceAndItsHandleKept) {
  MetricsRegistry registry;
  CounterFamily* family =
      registry.AddCounter("requests_total", "Requests.", {"code"});
  EXPECT_EQ(registry.AddCounter("requests_total", "Requests.", {"code"}),
            family);
  Counter* ok = family->WithLabels({"OK"});
  EXPECT_EQ(family->WithLabels({"OK"}), ok);
  ok->Increment();
  ok->Increment(2);
  family->WithLabels({"NOT_FOUND"})->Increment();
  EXPECT_EQ(RenderPrometheusText(registry.Collect()),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{code=\"NOT_FOUND\"} 1\n"
            "requests_total{code=\"OK\"} 3\n");
}

TEST(MetricsRegistry, FamiliesAreSortedByName) {
  MetricsRegistry registry;
  registry.AddGauge("b", "B.")->WithLabels({})->Set(1.5);
  registry.AddGauge("a", "A.")->WithLabels({})->Add(-2);
  std::vector<MetricFamilySnapshot> got = registry.Collect();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "a");
  EXPECT_EQ(got[0].samples[0].value, -2);
  EXPECT_EQ(got[1].samples[0].value, 1.5);
}

TEST(MetricsRegistry, HistogramCountsEachObservationInItsLeBucket) {
  MetricsRegistry registry;
  Histogram* h =
      registry.AddHistogram("d_seconds", "D.", {}, {0.1, 1})->WithLabels({});
  for (double v : {0.05, 0.1, 0.5, 3.0}) h->Observe(v);
  std::vector<MetricFamilySnapshot> got = registry.Collect();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].samples.size(), 1u);
  EXPECT_EQ(got[0].samples[0].bucket_counts, (std::vector<int64_t>{2, 1, 1}));
  EXPECT_DOUBLE_EQ(got[0].samples[0].sum, 3.65);
}

TEST(MetricsRegistry, CallbacksOfOneNameAddUpAndStopWhenReset) {
  MetricsRegistry registry;
  CallbackRegistration a =
      registry.AddCallbackGauge("live", "Live.", [] { return 2.0; });
  CallbackRegistration b =
      registry.AddCallbackGauge("live", "Live.", [] { return 3.0; });
  EXPECT_EQ(registry.Collect()[0].samples[0].value, 5);
  b.Reset();
  EXPECT_EQ(registry.Collect()[0].samples[0].value, 2);
  a = CallbackRegistration();
  EXPECT_TRUE(registry.Collect().empty());
}

TEST(MetricsRegistry, LabelledCallbackCounter) {
  MetricsRegistry registry;
  CallbackRegistration r = registry.AddCallback(
      "streams_total", "S.", MetricType::kCounter, {"kind"}, [] {
        std::vector<MetricSample> out(2);
        out[0].label_values = {"subscribe"};
        out[0].value = 4;
        out[1].label_values = {"live"};
        out[1].value = 1;
        return out;
      });
  EXPECT_EQ(RenderPrometheusText(registry.Collect()),
            "# HELP streams_total S.\n# TYPE streams_total counter\n"
            "streams_total{kind=\"live\"} 1\n"
            "streams_total{kind=\"subscribe\"} 4\n");
}

TEST(MetricsRegistry, CountsFromManyThreadsAreAllKept) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("n_total", "N.", {"t"});
  Histogram* h =
      registry.AddHistogram("h_seconds", "H.", {}, {1})->WithLabels({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Counter* c = family->WithLabels({"x"});
      for (int i = 0; i < 10000; ++i) {
        c->Increment();
        h->Observe(0.5);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(family->WithLabels({"x"})->value(), 40000);
  MetricSample sample;
  h->Read(&sample);
  EXPECT_EQ(sample.bucket_counts[0], 40000);
  EXPECT_DOUBLE_EQ(sample.sum, 20000);
}

TEST(MetricsRegistryDeathTest, MisuseAbortsNamingTheMetric) {
  MetricsRegistry registry;
  registry.AddCounter("c_total", "C.", {"a"});
  EXPECT_DEATH(registry.AddCounter("c", "C."), "_total: c");
  EXPECT_DEATH(registry.AddGauge("bad-name", "B."), "bad metric name");
  EXPECT_DEATH(registry.AddCounter("c_total", "C.", {"b"}),
               "added again differently: c_total");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {"le"}, {1}), "le");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {}, {2, 1}), "increasing");
  EXPECT_DEATH(registry.AddCounter("c_total", "C.", {"a"})->WithLabels({}),
               "wrong number of label values for c_total");
}

}  // namespace
}  // namespace coachd
