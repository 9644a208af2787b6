#pragma once
// The decoders the image folder reader uses besides stb (PNG, JPEG, BMP, TGA, PPM/PGM), each
// optional in CMake: libjpeg for large JPEGs, libwebp for WebP. No torch here.
//
// Large JPEGs decoded small: libjpeg can run its inverse DCT at 1/2, 1/4 or 1/8 of an image's
// size, so a 12-megapixel photo meant for a 32x32 network never exists at full size. The image
// folder reader uses it for a JPEG at least twice the side it keeps (DataOptions::max_side) and
// shrinks the result with the same resize_bilinear as any other image; every other image (and
// every image when d2a was built without libjpeg) is decoded by stb at full size, as before.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace d2a {

struct DecodedPixels {
  std::vector<std::uint8_t> pixels;  // HWC at the decoded size
  int height = 0, width = 0;         // a scaled JPEG: ceil(original / denominator)
  int channels = 0;                  // 1 (greyscale JPEG), 3 (RGB) or 4 (WebP with alpha)
  int original_height = 0, original_width = 0;
  int denominator = 1;  // the JPEG's DCT scale; 1 for full size
};

// True when the bytes start as a JPEG file does (the SOI marker FF D8, then a marker's FF).
bool looks_like_jpeg(const unsigned char* bytes, std::size_t size);

// Whether this build has libjpeg (CMake found it); without, decode_jpeg_scaled returns nothing.
bool jpeg_dct_scaling_available();

// The largest d of 8, 4, 2 and 1 with both ceil(height / d) and ceil(width / d) at least
// 2 * max_side: the scaled image still has twice the pixels a side the reader keeps, so the
// final antialiased shrink has something to average. 1 when max_side <= 0.
int jpeg_scale_denominator(int height, int width, int max_side);

// Decodes `bytes` at 1/jpeg_scale_denominator(...) of its size when that is > 1. Nothing when it
// is 1, when the bytes are not a JPEG, when its colours are not greyscale, YCbCr or RGB (CMYK),
// or when libjpeg reports any error or warning (a corrupt or truncated file): the caller then
// decodes with stb, which gives the error message it always gave.
std::optional<DecodedPixels> decode_jpeg_scaled(const unsigned char* bytes, std::size_t size,
                                                int max_side);

// The EXIF Orientation (1..8) in a JPEG's APP1 segment: how the stored pixels must be turned to
// show the photo upright (phones store portrait photos sideways, tagged 6 or 8). 1 (as stored)
// when the bytes are not a JPEG, have no such tag, or it cannot be read.
int jpeg_exif_orientation(const unsigned char* bytes, std::size_t size);
// Turns `image` upright as EXIF `orientation` says: 2 mirrors it left-right, 3 turns it 180
// degrees, 4 flips it top-bottom, 5 transposes it, 6 turns it 90 degrees clockwise, 7 does both
// 6 and a mirror (transverse), 8 turns it 90 degrees anticlockwise; 1 (or anything else) leaves
// it. The original size turns with it.
void apply_exif_orientation(DecodedPixels& image, int orientation);

// WebP (lossy or lossless, still images): whether this build has libwebp (CMake found it); the
// reader only lists .webp files when it does.
bool webp_available();
// True when the bytes start as a WebP file does ("RIFF", 4 bytes, "WEBP").
bool looks_like_webp(const unsigned char* bytes, std::size_t size);
// The side a WebP is decoded at for a reader that keeps at most `max_side` a side: at most twice
// that (as a scaled JPEG keeps), or the whole side when max_side <= 0. Each axis on its own.
int webp_decoded_side(int side, int max_side);
// Decodes a WebP, RGB, or RGBA when it has alpha, each side at webp_decoded_side(): a large one
// is shrunk by libwebp while it decodes (its area-averaging rescaler), so a photo never exists
// at full size. Nothing when libwebp refuses it (corrupt, truncated, animated) or this build has
// no libwebp; `error` then says why.
std::optional<DecodedPixels> decode_webp(const unsigned char* bytes, std::size_t size, int max_side,
                                         std::string& error);

}  // namespace d2a
