// A lock-free histogram of latencies in microseconds, for millions of samples
// recorded from many gRPC callback threads at once. Buckets are log-linear
// (32 per power of two), so a percentile is within about 3% of the true
// value; values below 64 us are exact.
//
//   LatencyHistogram h;
//   h.Record(1234);             // any thread
//   int64_t p99 = h.Percentile(0.99);
#ifndef CLIENTS_LOADGEN_LATENCY_HISTOGRAM_H_
#define CLIENTS_LOADGEN_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace coachd {

// Thread-safe: Record and the readers may run concurrently (readers then see
// some recent samples and not others).
class LatencyHistogram {
 public:
  // Values at or above this are counted in the last bucket (about 12 days).
  static constexpr int64_t kMaxMicros = int64_t{1} << 40;

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Adds one sample; negative values count as 0.
  void Record(int64_t micros);

  // Number of samples.
  int64_t Count() const;

  // The value at quantile `q` in [0, 1]: the middle of the bucket holding
  // the sample of rank ceil(q * count); the exact value below 64 us. 0 when
  // there are no samples.
  int64_t Percentile(double q) const;

  // The largest sample recorded (exact).
  int64_t Max() const { return max_.load(std::memory_order_relaxed); }

  // Mean of the samples (exact sum / count); 0 when empty.
  double Mean() const;

  // The bucket a value falls in, and a bucket's value range (inclusive).
  // Exposed for tests.
  static int BucketOf(int64_t micros);
  static int64_t BucketLow(int bucket);
  static int64_t BucketHigh(int bucket);
  // 64 exact buckets, 32 per power of two from 2^6 to 2^40, one overflow.
  static constexpr int kBuckets = 64 + 34 * 32 + 1;

 private:
  std::array<std::atomic<int64_t>, kBuckets> counts_;
  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> sum_{0};
  std::atomic<int64_t> max_{0};
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_LATENCY_HISTOGRAM_H_
