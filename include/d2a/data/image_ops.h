#pragma once
// Pixel operations on one HWC image (row-major, channels interleaved): resizing and channel
// conversion. Used by the readers (mixed sizes, mixed grey/RGB) and by data/tensor.h.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace d2a {

// Resamples an image of height x width x channels to out_height x out_width x channels with a
// separable triangle (bilinear) filter on pixel centres (align_corners = false). When shrinking
// an axis the triangle widens to the scale factor so that every input pixel contributes
// (antialiased, like PIL's BILINEAR); when enlarging it is plain bilinear with clamped edges.
// Weights sum to one, so a constant image stays constant. The uint8 form rounds to nearest.
// Throws d2a::Error (runtime) for a non-positive size or channel count.
std::vector<float> resize_bilinear(const float* src, int height, int width, int channels,
                                   int out_height, int out_width);
std::vector<std::uint8_t> resize_bilinear(const std::uint8_t* src, int height, int width,
                                          int channels, int out_height, int out_width);

// Converts `num_pixels` pixels from in_channels to out_channels: equal counts copy; 1 -> 3
// replicates grey; 3 -> 1 takes luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B, as PIL's "L");
// 2 -> 1 and 4 -> 3 drop alpha; 2 -> 3 drops alpha and replicates; 4 -> 1 drops alpha then takes
// luma. Any other pair throws d2a::Error (runtime). The uint8 form rounds luma to nearest.
std::vector<float> convert_channels(const float* src, std::size_t num_pixels, int in_channels,
                                    int out_channels);
std::vector<std::uint8_t> convert_channels(const std::uint8_t* src, std::size_t num_pixels,
                                           int in_channels, int out_channels);

}  // namespace d2a
