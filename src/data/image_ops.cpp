#include "d2a/data/image_ops.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

// The filter taps of one axis: output o reads input [first[o], first[o] + taps) with
// weights[o * taps + t] (zero where the window runs past an edge).
struct AxisFilter {
  int taps = 0;
  std::vector<int> first;
  std::vector<float> weights;
};

AxisFilter make_axis_filter(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double support = std::max(1.0, scale);  // triangle half-width in input pixels
  AxisFilter f;
  f.taps = static_cast<int>(std::ceil(2.0 * support)) + 1;
  f.first.resize(out_size);
  f.weights.assign(static_cast<std::size_t>(out_size) * f.taps, 0.0f);
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale - 0.5;
    const int lo = std::max(0, static_cast<int>(std::floor(center - support)) + 1);
    const int hi = std::min(in_size - 1, static_cast<int>(std::ceil(center + support)) - 1);
    f.first[o] = lo;
    double sum = 0.0;
    std::vector<double> w;
    for (int i = lo; i <= hi && i - lo < f.taps; ++i) {
      w.push_back(std::max(0.0, 1.0 - std::abs(i - center) / support));
      sum += w.back();
    }
    // The nearest input pixel lies within half a pixel of the centre, inside the support,
    // so sum > 0 always.
    for (std::size_t t = 0; t < w.size(); ++t) {
      f.weights[static_cast<std::size_t>(o) * f.taps + t] = static_cast<float>(w[t] / sum);
    }
  }
  return f;
}

void check_sizes(int height, int width, int channels, int out_height, int out_width) {
  if (height <= 0 || width <= 0 || channels <= 0 || out_height <= 0 || out_width <= 0) {
    throw runtime_failure("resize_bilinear: sizes must be positive (got " + std::to_string(height) +
                          "x" + std::to_string(width) + "x" + std::to_string(channels) + " -> " +
                          std::to_string(out_height) + "x" + std::to_string(out_width) + ")");
  }
}

template <typename T>
std::vector<float> resize_to_float(const T* src, int height, int width, int channels,
                                   int out_height, int out_width) {
  check_sizes(height, width, channels, out_height, out_width);
  const AxisFilter fx = make_axis_filter(width, out_width);
  const AxisFilter fy = make_axis_filter(height, out_height);
  // Horizontal pass: height x out_width x channels.
  std::vector<float> rows(static_cast<std::size_t>(height) * out_width * channels, 0.0f);
  for (int y = 0; y < height; ++y) {
    const T* in_row = src + static_cast<std::size_t>(y) * width * channels;
    float* out_row = rows.data() + static_cast<std::size_t>(y) * out_width * channels;
    for (int x = 0; x < out_width; ++x) {
      const float* w = fx.weights.data() + static_cast<std::size_t>(x) * fx.taps;
      for (int t = 0; t < fx.taps && fx.first[x] + t < width; ++t) {
        if (w[t] == 0.0f) continue;
        const T* px = in_row + static_cast<std::size_t>(fx.first[x] + t) * channels;
        for (int c = 0; c < channels; ++c) out_row[x * channels + c] += w[t] * px[c];
      }
    }
  }
  // Vertical pass: out_height x out_width x channels.
  const std::size_t row_len = static_cast<std::size_t>(out_width) * channels;
  std::vector<float> out(static_cast<std::size_t>(out_height) * row_len, 0.0f);
  for (int y = 0; y < out_height; ++y) {
    const float* w = fy.weights.data() + static_cast<std::size_t>(y) * fy.taps;
    float* out_row = out.data() + y * row_len;
    for (int t = 0; t < fy.taps && fy.first[y] + t < height; ++t) {
      if (w[t] == 0.0f) continue;
      const float* in_row = rows.data() + static_cast<std::size_t>(fy.first[y] + t) * row_len;
      for (std::size_t k = 0; k < row_len; ++k) out_row[k] += w[t] * in_row[k];
    }
  }
  return out;
}

std::uint8_t to_u8(float v) {
  return static_cast<std::uint8_t>(std::lround(std::min(255.0f, std::max(0.0f, v))));
}

float luma(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

template <typename T, typename Round>
std::vector<T> convert(const T* src, std::size_t num_pixels, int in_c, int out_c, Round round) {
  const bool known = (in_c >= 1 && in_c <= 4) && (out_c == 1 || out_c == 3 || out_c == in_c);
  if (!known) {
    throw runtime_failure("convert_channels: cannot convert " + std::to_string(in_c) +
                          " channels to " + std::to_string(out_c));
  }
  std::vector<T> out(num_pixels * out_c);
  if (in_c == out_c) {
    std::copy(src, src + num_pixels * in_c, out.begin());
    return out;
  }
  const bool in_colour = in_c >= 3;  // 3 = RGB, 4 = RGBA; 1 = grey, 2 = grey + alpha
  for (std::size_t p = 0; p < num_pixels; ++p) {
    const T* px = src + p * in_c;
    T* o = out.data() + p * out_c;
    if (out_c == 1) {
      o[0] = in_colour ? round(luma(px[0], px[1], px[2])) : px[0];
    } else if (in_colour) {  // 4 -> 3
      o[0] = px[0];
      o[1] = px[1];
      o[2] = px[2];
    } else {  // grey -> RGB
      o[0] = o[1] = o[2] = px[0];
    }
  }
  return out;
}

}  // namespace

std::vector<float> resize_bilinear(const float* src, int height, int width, int channels,
                                   int out_height, int out_width) {
  return resize_to_float(src, height, width, channels, out_height, out_width);
}

std::vector<std::uint8_t> resize_bilinear(const std::uint8_t* src, int height, int width,
                                          int channels, int out_height, int out_width) {
  const std::vector<float> f = resize_to_float(src, height, width, channels, out_height, out_width);
  std::vector<std::uint8_t> out(f.size());
  std::transform(f.begin(), f.end(), out.begin(), to_u8);
  return out;
}

std::vector<float> convert_channels(const float* src, std::size_t num_pixels, int in_channels,
                                    int out_channels) {
  return convert(src, num_pixels, in_channels, out_channels, [](float v) { return v; });
}

std::vector<std::uint8_t> convert_channels(const std::uint8_t* src, std::size_t num_pixels,
                                           int in_channels, int out_channels) {
  return convert(src, num_pixels, in_channels, out_channels, to_u8);
}

}  // namespace d2a
