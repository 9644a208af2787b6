#include "d2a/data/tensor.h"

#include <torch/torch.h>

#include <cmath>
#include <numeric>
#include <string>

#include "d2a/data/image_ops.h"
#include "d2a/error.h"

namespace d2a {
namespace {

// One image as floats in [0, 1], converted to `channels` (HWC).
std::vector<float> unit_pixels(const ImageSet& set, std::size_t i, int channels) {
  const std::size_t bytes = set.image_bytes();
  const std::uint8_t* src = set.image(i);
  std::vector<float> pixels(bytes);
  for (std::size_t k = 0; k < bytes; ++k) pixels[k] = src[k] / 255.0f;
  if (channels == set.channels) return pixels;
  return convert_channels(pixels.data(), static_cast<std::size_t>(set.height) * set.width,
                          set.channels, channels);
}

std::vector<float> per_channel(const std::vector<float>& values, int channels, float fallback,
                               const char* what) {
  if (values.empty()) return std::vector<float>(channels, fallback);
  if (values.size() == 1) return std::vector<float>(channels, values[0]);
  if (values.size() != static_cast<std::size_t>(channels)) {
    throw bad_input(std::string("tensor spec: ") + what + " has " + std::to_string(values.size()) +
                    " values for " + std::to_string(channels) + " channels");
  }
  return values;
}

void check_set(const ImageSet& set) {
  if (set.channels != 1 && set.channels != 3) {
    throw bad_input(set.source + ": images have " + std::to_string(set.channels) +
                    " channels (expected 1 or 3)");
  }
  if (set.pixels.size() != set.size() * set.image_bytes()) {
    throw runtime_failure(set.source + ": pixel buffer holds " + std::to_string(set.pixels.size()) +
                          " bytes, expected " + std::to_string(set.size() * set.image_bytes()));
  }
}

}  // namespace

ChannelStats channel_stats(const ImageSet& set, int channels) {
  check_set(set);
  const int c_out = channels == 0 ? set.channels : channels;
  if (c_out != 1 && c_out != 3) {
    throw bad_input("channel_stats: channels must be 1 or 3, got " + std::to_string(c_out));
  }
  std::vector<double> sum(c_out, 0.0), sum_sq(c_out, 0.0);
  for (std::size_t i = 0; i < set.size(); ++i) {
    const std::vector<float> pixels = unit_pixels(set, i, c_out);
    for (std::size_t k = 0; k < pixels.size(); ++k) {
      sum[k % c_out] += pixels[k];
      sum_sq[k % c_out] += static_cast<double>(pixels[k]) * pixels[k];
    }
  }
  const double count = static_cast<double>(set.size()) * set.height * set.width;
  ChannelStats stats;
  for (int c = 0; c < c_out; ++c) {
    const double mean = count > 0 ? sum[c] / count : 0.0;
    const double var = count > 0 ? std::max(0.0, sum_sq[c] / count - mean * mean) : 0.0;
    stats.mean.push_back(static_cast<float>(mean));
    stats.std.push_back(static_cast<float>(std::sqrt(var)));
  }
  return stats;
}

torch::Tensor images_to_tensor(const ImageSet& set, const std::vector<std::size_t>& indices,
                               const TensorSpec& spec) {
  check_set(set);
  if ((spec.height == 0) != (spec.width == 0) || spec.height < 0 || spec.width < 0) {
    throw bad_input("tensor spec: size " + std::to_string(spec.height) + "x" +
                    std::to_string(spec.width) + " (both 0 to keep the size, or both positive)");
  }
  const int c_out = spec.channels == 0 ? set.channels : spec.channels;
  if (c_out != 1 && c_out != 3) {
    throw bad_input("tensor spec: channels must be 1 or 3, got " + std::to_string(c_out));
  }
  const int h_out = spec.height == 0 ? set.height : spec.height;
  const int w_out = spec.width == 0 ? set.width : spec.width;
  const std::vector<float> mean = per_channel(spec.mean, c_out, 0.0f, "mean");
  const std::vector<float> stdev = per_channel(spec.std, c_out, 1.0f, "std");
  for (const float s : stdev) {
    if (!(s > 0.0f)) throw bad_input("tensor spec: std must be positive, got " + std::to_string(s));
  }
  for (const std::size_t i : indices) {
    if (i >= set.size()) {
      throw runtime_failure(set.source + ": image index " + std::to_string(i) +
                            " out of range (the set holds " + std::to_string(set.size()) + ")");
    }
  }

  const auto n = static_cast<std::int64_t>(indices.size());
  torch::Tensor out = torch::empty({n, c_out, h_out, w_out}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(h_out) * w_out;
  const bool resize = h_out != set.height || w_out != set.width;
  at::parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      std::vector<float> pixels = unit_pixels(set, indices[b], c_out);
      if (resize) {
        pixels = resize_bilinear(pixels.data(), set.height, set.width, c_out, h_out, w_out);
      }
      float* dst = data + static_cast<std::size_t>(b) * c_out * plane;
      for (std::size_t p = 0; p < plane; ++p) {  // HWC -> CHW, normalised
        for (int c = 0; c < c_out; ++c) {
          dst[c * plane + p] = (pixels[p * c_out + c] - mean[c]) / stdev[c];
        }
      }
    }
  });
  return out;
}

torch::Tensor images_to_tensor(const ImageSet& set, const TensorSpec& spec) {
  std::vector<std::size_t> all(set.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return images_to_tensor(set, all, spec);
}

torch::Tensor labels_to_tensor(const ImageSet& set, const std::vector<std::size_t>& indices) {
  torch::Tensor out = torch::empty({static_cast<std::int64_t>(indices.size())}, torch::kInt64);
  auto* data = out.data_ptr<std::int64_t>();
  for (std::size_t k = 0; k < indices.size(); ++k) data[k] = set.labels.at(indices[k]);
  return out;
}

torch::Tensor labels_to_tensor(const ImageSet& set) {
  torch::Tensor out = torch::empty({static_cast<std::int64_t>(set.size())}, torch::kInt64);
  auto* data = out.data_ptr<std::int64_t>();
  for (std::size_t k = 0; k < set.size(); ++k) data[k] = set.labels[k];
  return out;
}

}  // namespace d2a
