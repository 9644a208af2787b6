#include "d2a/data/image_codecs.h"

#include <algorithm>
#include <string>

#ifdef D2A_HAVE_LIBJPEG
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t before it
// clang-format off: after <cstdio>
#include <jpeglib.h>
// clang-format on
#endif
#ifdef D2A_HAVE_LIBWEBP
#include <webp/decode.h>
#endif

namespace d2a {

bool looks_like_jpeg(const unsigned char* bytes, std::size_t size) {
  return size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

int jpeg_scale_denominator(int height, int width, int max_side) {
  if (max_side <= 0) return 1;
  const long long needed = 2LL * max_side;
  for (const int d : {8, 4, 2}) {
    if ((height + d - 1) / d >= needed && (width + d - 1) / d >= needed) return d;
  }
  return 1;
}

#ifndef D2A_HAVE_LIBJPEG

bool jpeg_dct_scaling_available() { return false; }

std::optional<DecodedPixels> decode_jpeg_scaled(const unsigned char*, std::size_t, int) {
  return std::nullopt;
}

#else

bool jpeg_dct_scaling_available() { return true; }

namespace {

// libjpeg reports errors by calling error_exit, which must not return: it jumps back to
// decode_into. Warnings (corrupt data it would paper over) jump back too.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

[[noreturn]] void on_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1);
}

void on_message(j_common_ptr info, int level) {
  if (level < 0) on_error(info);  // a warning: the data is damaged
}

void on_output(j_common_ptr) {}

// Fills `out` (which outlives the jump, as does everything libjpeg allocated: jpeg_destroy
// frees it) and returns true, or false on any libjpeg error. No object with a destructor lives
// in this frame after setjmp.
bool decode_into(const unsigned char* bytes, std::size_t size, int max_side, DecodedPixels& out) {
  jpeg_decompress_struct info;
  ErrorManager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_message;
  errors.base.output_message = on_output;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  const int height = static_cast<int>(info.image_height);
  const int width = static_cast<int>(info.image_width);
  const int denominator = jpeg_scale_denominator(height, width, max_side);
  const bool grey = info.jpeg_color_space == JCS_GRAYSCALE;
  if (denominator == 1 ||
      !(grey || info.jpeg_color_space == JCS_YCbCr || info.jpeg_color_space == JCS_RGB)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  info.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  info.scale_num = 1;
  info.scale_denom = static_cast<unsigned int>(denominator);
  jpeg_start_decompress(&info);
  out.height = static_cast<int>(info.output_height);
  out.width = static_cast<int>(info.output_width);
  out.channels = info.output_components;
  out.original_height = height;
  out.original_width = width;
  out.denominator = denominator;
  const std::size_t row = static_cast<std::size_t>(out.width) * out.channels;
  out.pixels.resize(row * out.height);
  while (info.output_scanline < info.output_height) {
    JSAMPROW line = out.pixels.data() + row * info.output_scanline;
    jpeg_read_scanlines(&info, &line, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

}  // namespace

std::optional<DecodedPixels> decode_jpeg_scaled(const unsigned char* bytes, std::size_t size,
                                                int max_side) {
  if (max_side <= 0 || !looks_like_jpeg(bytes, size)) return std::nullopt;  // stb's to decode
  DecodedPixels out;
  if (!decode_into(bytes, size, max_side, out)) return std::nullopt;
  return out;
}

#endif

namespace {

// Bounds-checked reads of a TIFF structure (EXIF) in either byte order.
struct TiffReader {
  const unsigned char* data;
  std::size_t size;
  bool little;
  bool has(std::size_t offset, std::size_t n) const { return offset <= size && n <= size - offset; }
  std::uint32_t u16(std::size_t o) const {
    return little ? data[o] | data[o + 1] << 8 : data[o] << 8 | data[o + 1];
  }
  std::uint32_t u32(std::size_t o) const {
    return little ? u16(o) | u16(o + 2) << 16 : u16(o) << 16 | u16(o + 2);
  }
};

// The Orientation tag (0x0112) of IFD0 of the TIFF structure in `data`, or 1.
int tiff_orientation(const unsigned char* data, std::size_t size) {
  if (size < 8) return 1;
  const bool little = data[0] == 'I' && data[1] == 'I';
  if (!little && !(data[0] == 'M' && data[1] == 'M')) return 1;
  const TiffReader tiff{data, size, little};
  if (tiff.u16(2) != 42) return 1;
  const std::size_t ifd = tiff.u32(4);
  if (!tiff.has(ifd, 2)) return 1;
  const std::size_t entries = tiff.u16(ifd);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t entry = ifd + 2 + 12 * i;
    if (!tiff.has(entry, 12)) return 1;
    if (tiff.u16(entry) == 0x0112 && tiff.u16(entry + 2) == 3 /* SHORT */) {
      const std::uint32_t value = tiff.u16(entry + 8);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

}  // namespace

int jpeg_exif_orientation(const unsigned char* bytes, std::size_t size) {
  if (!looks_like_jpeg(bytes, size)) return 1;
  std::size_t at = 2;
  // Marker segments up to the image data: FF, marker, 2-byte big-endian length (with itself).
  while (at + 4 <= size && bytes[at] == 0xFF) {
    const unsigned char marker = bytes[at + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan, end of image
    const std::size_t length = static_cast<std::size_t>(bytes[at + 2]) << 8 | bytes[at + 3];
    if (length < 2 || length > size - at - 2) break;
    const unsigned char* body = bytes + at + 4;
    const std::size_t body_size = length - 2;
    if (marker == 0xE1 && body_size >= 6 && std::equal(body, body + 6, "Exif\0\0")) {
      return tiff_orientation(body + 6, body_size - 6);
    }
    at += 2 + length;
  }
  return 1;
}

void apply_exif_orientation(DecodedPixels& image, int orientation) {
  if (orientation < 2 || orientation > 8) return;
  const int h = image.height, w = image.width, c = image.channels;
  const int o = orientation;
  const bool turned = o >= 5;  // 5..8 swap the axes
  const bool flip_rows = o == 3 || o == 4 || o == 6 || o == 7;
  const bool flip_columns = o == 2 || o == 3 || o == 7 || o == 8;
  const int out_h = turned ? w : h, out_w = turned ? h : w;
  std::vector<std::uint8_t> out(image.pixels.size());
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      // The stored pixel shown at (y, x): axes swapped for 5..8, then rows and columns
      // reversed as the orientation says.
      int sy = turned ? x : y, sx = turned ? y : x;
      if (flip_rows) sy = h - 1 - sy;
      if (flip_columns) sx = w - 1 - sx;
      std::copy_n(image.pixels.data() + (static_cast<std::size_t>(sy) * w + sx) * c, c,
                  out.data() + (static_cast<std::size_t>(y) * out_w + x) * c);
    }
  }
  image.pixels = std::move(out);
  image.height = out_h;
  image.width = out_w;
  if (turned) std::swap(image.original_height, image.original_width);
}

int webp_decoded_side(int side, int max_side) {
  return max_side > 0 ? std::min(side, 2 * max_side) : side;
}

bool looks_like_webp(const unsigned char* bytes, std::size_t size) {
  return size >= 12 && std::equal(bytes, bytes + 4, "RIFF") &&
         std::equal(bytes + 8, bytes + 12, "WEBP");
}

#ifndef D2A_HAVE_LIBWEBP

bool webp_available() { return false; }

std::optional<DecodedPixels> decode_webp(const unsigned char*, std::size_t, int,
                                         std::string& error) {
  error = "this d2a was built without libwebp";
  return std::nullopt;
}

#else

bool webp_available() { return true; }

std::optional<DecodedPixels> decode_webp(const unsigned char* bytes, std::size_t size, int max_side,
                                         std::string& error) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) {
    error = "libwebp's version differs from the one d2a was built with";
    return std::nullopt;
  }
  const VP8StatusCode status = WebPGetFeatures(bytes, size, &config.input);
  if (status != VP8_STATUS_OK) {
    error = "not a WebP libwebp can read (status " + std::to_string(static_cast<int>(status)) + ")";
    return std::nullopt;
  }
  const WebPBitstreamFeatures& features = config.input;
  if (features.has_animation) {
    error = "animated WebP";
    return std::nullopt;
  }
  DecodedPixels out;
  out.original_height = features.height;
  out.original_width = features.width;
  out.height = webp_decoded_side(features.height, max_side);
  out.width = webp_decoded_side(features.width, max_side);
  out.channels = features.has_alpha ? 4 : 3;
  if (out.height != features.height || out.width != features.width) {
    config.options.use_scaling = 1;  // libwebp averages the pixels as it decodes them
    config.options.scaled_height = out.height;
    config.options.scaled_width = out.width;
  }
  const std::size_t stride = static_cast<std::size_t>(out.width) * out.channels;
  out.pixels.resize(stride * out.height);
  config.output.colorspace = features.has_alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out.pixels.data();
  config.output.u.RGBA.stride = static_cast<int>(stride);
  config.output.u.RGBA.size = out.pixels.size();
  const VP8StatusCode decoded = WebPDecode(bytes, size, &config);
  WebPFreeDecBuffer(&config.output);  // frees nothing of ours (external memory), as libwebp asks
  if (decoded != VP8_STATUS_OK) {
    error =
        "libwebp could not decode it (status " + std::to_string(static_cast<int>(decoded)) + ")";
    return std::nullopt;
  }
  return out;
}

#endif

}  // namespace d2a
