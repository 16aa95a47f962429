#include "clients/voice/wav.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

uint32_t Le32(absl::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8 |
         static_cast<uint8_t>(b[at + 2]) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
uint16_t Le16(absl::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8;
}
void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutLe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v));
  out->push_back(static_cast<char>(v >> 8));
}

}  // namespace

absl::StatusOr<WavFormat> ParseWavHeader(absl::string_view bytes) {
  if (bytes.size() < 12 || bytes.substr(0, 4) != "RIFF" ||
      bytes.substr(8, 4) != "WAVE") {
    return absl::InvalidArgumentError("wav: not a RIFF/WAVE file");
  }
  WavFormat format;
  bool have_fmt = false;
  size_t at = 12;
  // Chunks: id (4), size (4), body (size, padded to even).
  while (at + 8 <= bytes.size()) {
    const absl::string_view id = bytes.substr(at, 4);
    const uint32_t size = Le32(bytes, at + 4);
    const size_t body = at + 8;
    if (id == "fmt ") {
      if (size < 16 || body + 16 > bytes.size()) {
        return absl::InvalidArgumentError("wav fmt: chunk too short");
      }
      const uint16_t tag = Le16(bytes, body);
      if (tag != 1 && tag != 0xFFFE) {
        return absl::InvalidArgumentError(
            absl::StrCat("wav fmt: format ", tag, " is not PCM"));
      }
      format.channels = Le16(bytes, body + 2);
      format.sample_rate = static_cast<int>(Le32(bytes, body + 4));
      format.bits = Le16(bytes, body + 14);
      if (format.bits != 16) {
        return absl::InvalidArgumentError(absl::StrCat(
            "wav fmt: ", format.bits, " bits per sample; only 16 is read"));
      }
      if (format.channels < 1 || format.sample_rate < 1) {
        return absl::InvalidArgumentError(
            "wav fmt: no channels or no sample rate");
      }
      have_fmt = true;
    } else if (id == "data") {
      if (!have_fmt) {
        return absl::InvalidArgumentError("wav: data chunk before fmt chunk");
      }
      format.data_offset = body;
      // Streamed files (size unknown) say 0 or 0xFFFFFFFF: take what there is.
      const size_t available = bytes.size() - body;
      format.data_bytes =
          size == 0 || size > available ? available : static_cast<size_t>(size);
      return format;
    }
    at = body + size + (size & 1);
  }
  return absl::InvalidArgumentError(have_fmt ? "wav: no data chunk"
                                             : "wav: no fmt chunk");
}

absl::Duration WavDuration(const WavFormat& format) {
  const int64_t frames = static_cast<int64_t>(format.data_bytes) /
                         (2 * std::max(format.channels, 1));
  return absl::Seconds(1) * frames / format.sample_rate;
}

std::string EncodeWav(absl::Span<const int16_t> samples, int sample_rate) {
  const uint32_t data = static_cast<uint32_t>(samples.size() * 2);
  std::string out = "RIFF";
  PutLe32(&out, 36 + data);
  out += "WAVEfmt ";
  PutLe32(&out, 16);
  PutLe16(&out, 1);  // PCM
  PutLe16(&out, 1);  // mono
  PutLe32(&out, sample_rate);
  PutLe32(&out, sample_rate * 2);
  PutLe16(&out, 2);
  PutLe16(&out, 16);
  out += "data";
  PutLe32(&out, data);
  for (int16_t s : samples) PutLe16(&out, static_cast<uint16_t>(s));
  return out;
}

absl::StatusOr<std::vector<int16_t>> ReadWavSamples(const std::string& path,
                                                    int* sample_rate) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream all;
  all << in.rdbuf();
  const std::string bytes = all.str();
  absl::StatusOr<WavFormat> format = ParseWavHeader(bytes);
  if (!format.ok()) return format.status();
  if (format->channels != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", format->channels, " channels; only mono"));
  }
  std::vector<int16_t> samples(format->data_bytes / 2);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<int16_t>(Le16(bytes, format->data_offset + 2 * i));
  }
  if (sample_rate != nullptr) *sample_rate = format->sample_rate;
  return samples;
}

}  // namespace coachd
