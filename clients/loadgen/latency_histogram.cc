#include "clients/loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace coachd {
namespace {

// Index of the highest set bit of v > 0.
int HighBit(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

int LatencyHistogram::BucketOf(int64_t micros) {
  if (micros < 64) return micros < 0 ? 0 : static_cast<int>(micros);
  if (micros >= kMaxMicros) return kBuckets - 1;
  const int msb = HighBit(static_cast<uint64_t>(micros));  // 6..39
  const int shift = msb - 5;
  // (micros >> shift) is in [32, 63]: 32 sub-buckets per power of two.
  return (msb - 5) * 32 + static_cast<int>(micros >> shift);
}

int64_t LatencyHistogram::BucketLow(int bucket) {
  if (bucket < 64) return bucket;
  const int msb = bucket / 32 + 4;
  const int64_t sub = bucket % 32 + 32;
  return sub << (msb - 5);
}

int64_t LatencyHistogram::BucketHigh(int bucket) {
  if (bucket < 64) return bucket;
  if (bucket == kBuckets - 1) return kMaxMicros;
  return BucketLow(bucket + 1) - 1;
}

void LatencyHistogram::Record(int64_t micros) {
  if (micros < 0) micros = 0;
  counts_[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(micros, std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  while (micros > seen &&
         !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::Count() const {
  return total_.load(std::memory_order_relaxed);
}

double LatencyHistogram::Mean() const {
  const int64_t n = Count();
  return n == 0 ? 0.0
                : static_cast<double>(sum_.load(std::memory_order_relaxed)) / n;
}

int64_t LatencyHistogram::Percentile(double q) const {
  int64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  if (n == 0) return 0;
  q = std::min(1.0, std::max(0.0, q));
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * n)));
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b].load(std::memory_order_relaxed);
    if (seen >= rank) {
      if (b < 64) return b;
      return std::min(Max(), (BucketLow(b) + BucketHigh(b)) / 2);
    }
  }
  return Max();
}

}  // namespace coachd
