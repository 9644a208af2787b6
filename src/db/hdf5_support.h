#pragma once
// Private to src/db (the only code that includes HDF5): RAII handles for hid_t and typed
// read/write helpers over the HDF5 1.10 C API. A failing call throws Hdf5Error naming the
// object and carrying errno; the caller adds the file path and decides whether it is bad input
// (a corrupt file being read) or a failure (a disk that refused a write).
#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace d2a::h5 {

class Hdf5Error : public std::runtime_error {
 public:
  // errno_value: errno right after the failing call (0 if none), so a caller can tell a full
  // disk from a permission problem.
  Hdf5Error(const std::string& what, int errno_value)
      : std::runtime_error(what), errno_(errno_value) {}
  int errno_value() const { return errno_; }

 private:
  int errno_;
};

// Turns off HDF5's own printing of its error stack; d2a reports one line instead.
void silence_errors();

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  // Throws Hdf5Error(what) when id is negative (the call that made it failed).
  Handle(hid_t id, Closer closer, const std::string& what);
  ~Handle();
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: reads well in C API calls
  // Closes now and returns the closer's status (H5Fclose is where buffered writes can fail).
  herr_t close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// A file that lives in memory only (core driver, no backing store): writing it can fail only
// for lack of memory, never half-way through a disk write. `increment` is how many bytes its
// buffer grows by; `name` only labels it.
Handle create_memory_file(const std::string& name, std::size_t increment);
// Flushes a memory file and returns its bytes: a complete HDF5 file.
std::vector<char> file_image(hid_t file);
Handle open_file_read_only(const std::string& path);
Handle create_group(hid_t parent, const std::string& name);
Handle open_group(hid_t parent, const std::string& name);
bool has_link(hid_t parent, const std::string& name);
bool has_attr(hid_t object, const std::string& name);
// Names of the links directly inside `group`, in name order.
std::vector<std::string> child_names(hid_t group);
// Where `object` sits in its file ("/archs/ops"), for messages.
std::string path_of(hid_t object);

// The memory type of each element type the database stores.
template <class T>
hid_t native_type();
template <>
inline hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
inline hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
inline hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
inline hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
inline hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
inline hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}

// Attributes: a scalar number, a UTF-8 string, a 1-D array of UTF-8 strings.
void write_attr_raw(hid_t object, const std::string& name, hid_t type, const void* value);
void read_attr_raw(hid_t object, const std::string& name, hid_t type, void* value);
template <class T>
void write_attr(hid_t object, const std::string& name, T value) {
  write_attr_raw(object, name, native_type<T>(), &value);
}
template <class T>
T read_attr(hid_t object, const std::string& name) {
  T value{};
  read_attr_raw(object, name, native_type<T>(), &value);
  return value;
}
void write_attr_string(hid_t object, const std::string& name, const std::string& value);
std::string read_attr_string(hid_t object, const std::string& name);
void write_attr_strings(hid_t object, const std::string& name,
                        const std::vector<std::string>& values);
std::vector<std::string> read_attr_strings(hid_t object, const std::string& name);

// Datasets of numbers with any shape (dims may hold zeros: an empty dataset). With `compress`,
// a non-empty dataset is stored in chunks of one first-axis slice, deflated.
void write_dataset_raw(hid_t parent, const std::string& name, hid_t type, const void* data,
                       const std::vector<hsize_t>& dims, bool compress);
std::vector<hsize_t> dataset_dims(hid_t parent, const std::string& name);
void read_dataset_raw(hid_t parent, const std::string& name, hid_t type, void* data);

template <class T>
void write_dataset(hid_t parent, const std::string& name, const std::vector<T>& data,
                   const std::vector<hsize_t>& dims, bool compress = false) {
  write_dataset_raw(parent, name, native_type<T>(), data.data(), dims, compress);
}
template <class T>
void write_column(hid_t parent, const std::string& name, const std::vector<T>& data) {
  write_dataset(parent, name, data, {static_cast<hsize_t>(data.size())});
}
// Reads a whole dataset; `dims` receives its shape.
template <class T>
std::vector<T> read_dataset(hid_t parent, const std::string& name, std::vector<hsize_t>& dims) {
  dims = dataset_dims(parent, name);
  hsize_t count = 1;
  for (hsize_t d : dims) count *= d;
  std::vector<T> data(count);
  read_dataset_raw(parent, name, native_type<T>(), data.data());
  return data;
}
// Reads a 1-D dataset, checking its length.
template <class T>
std::vector<T> read_column(hid_t parent, const std::string& name, std::size_t length) {
  std::vector<hsize_t> dims;
  std::vector<T> data = read_dataset<T>(parent, name, dims);
  if (dims.size() != 1 || dims[0] != length) {
    throw Hdf5Error(path_of(parent) + "/" + name + ": expected " + std::to_string(length) +
                        " values in one dimension",
                    0);
  }
  return data;
}

// 1-D datasets of variable-length UTF-8 strings (h5py reads them with .asstr()).
void write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t parent, const std::string& name, std::size_t length);

}  // namespace d2a::h5
