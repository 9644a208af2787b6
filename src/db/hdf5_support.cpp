#include "hdf5_support.h"

#include <cerrno>
#include <utility>

namespace d2a::h5 {
namespace {

[[noreturn]] void fail(const std::string& what) { throw Hdf5Error(what, errno); }

std::string where(hid_t parent, const std::string& name) {
  std::string base = path_of(parent);
  if (base.empty() || base.back() != '/') base += '/';
  return base + name;
}

std::string attr_where(hid_t object, const std::string& name) {
  return path_of(object) + " attribute '" + name + "'";
}

// Variable-length UTF-8: what h5py writes for str and reads back as str.
Handle string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
    fail("cannot make a UTF-8 string type");
  }
  return type;
}

void require_variable_string(hid_t stored_type, const std::string& what) {
  if (H5Tget_class(stored_type) != H5T_STRING || H5Tis_variable_str(stored_type) <= 0) {
    fail(what + ": not a variable-length string");
  }
}

std::vector<std::string> take_strings(std::vector<char*>& pointers, hid_t mem_type, hid_t space) {
  std::vector<std::string> values;
  values.reserve(pointers.size());
  for (const char* p : pointers) values.emplace_back(p == nullptr ? "" : p);
  H5Dvlen_reclaim(mem_type, space, H5P_DEFAULT, pointers.data());
  return values;
}

std::vector<const char*> pointers_of(const std::vector<std::string>& values) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  return pointers;
}

hssize_t element_count(hid_t space) { return H5Sget_simple_extent_npoints(space); }

Handle simple_space(const std::vector<hsize_t>& dims) {
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                "dataspace");
}

}  // namespace

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

Handle::Handle(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
  if (id_ < 0) fail(what);
}

Handle::~Handle() { close(); }

Handle::Handle(Handle&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    close();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = other.closer_;
  }
  return *this;
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

Handle create_memory_file(const std::string& name, std::size_t increment) {
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "property list");
  if (H5Pset_fapl_core(access, increment, /*backing_store=*/0) < 0) {
    fail("cannot set up an in-memory file");
  }
  return Handle(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access), H5Fclose,
                "cannot create the in-memory file");
}

std::vector<char> file_image(hid_t file) {
  if (H5Fflush(file, H5F_SCOPE_LOCAL) < 0) fail("cannot flush the in-memory file");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size < 0) fail("cannot size the file image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size) {
    fail("cannot copy the file image");
  }
  return image;
}

Handle open_file_read_only(const std::string& path) {
  return Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                "cannot open the file");
}

Handle create_group(hid_t parent, const std::string& name) {
  return Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                where(parent, name) + ": cannot create group");
}

Handle open_group(hid_t parent, const std::string& name) {
  if (!has_link(parent, name)) fail(where(parent, name) + ": missing group");
  return Handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose,
                where(parent, name) + ": cannot open group");
}

bool has_link(hid_t parent, const std::string& name) {
  return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0;
}

bool has_attr(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

std::vector<std::string> child_names(hid_t group) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names) < 0) {
    fail(path_of(group) + ": cannot list members");
  }
  return names;
}

std::string path_of(hid_t object) {
  const ssize_t size = H5Iget_name(object, nullptr, 0);
  if (size <= 0) return "?";
  std::string name(static_cast<std::size_t>(size) + 1, '\0');
  H5Iget_name(object, name.data(), name.size());
  name.resize(static_cast<std::size_t>(size));
  return name;
}

void write_attr_raw(hid_t object, const std::string& name, hid_t type, const void* value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
  Handle attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              attr_where(object, name) + ": cannot create attribute");
  if (H5Awrite(attr, type, value) < 0) fail(attr_where(object, name) + ": cannot write attribute");
}

void read_attr_raw(hid_t object, const std::string& name, hid_t type, void* value) {
  if (!has_attr(object, name)) fail(attr_where(object, name) + ": missing attribute");
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose,
              attr_where(object, name) + ": cannot open attribute");
  Handle space(H5Aget_space(attr), H5Sclose, attr_where(object, name) + ": no dataspace");
  if (element_count(space) != 1) fail(attr_where(object, name) + ": expected a single value");
  if (H5Aread(attr, type, value) < 0) fail(attr_where(object, name) + ": cannot read attribute");
}

void write_attr_string(hid_t object, const std::string& name, const std::string& value) {
  const char* pointer = value.c_str();
  write_attr_raw(object, name, string_type(), &pointer);
}

std::string read_attr_string(hid_t object, const std::string& name) {
  const auto values = read_attr_strings(object, name);
  if (values.size() != 1) fail(attr_where(object, name) + ": expected one string");
  return values[0];
}

void write_attr_strings(hid_t object, const std::string& name,
                        const std::vector<std::string>& values) {
  const Handle type = string_type();
  const Handle space = simple_space({static_cast<hsize_t>(values.size())});
  Handle attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              attr_where(object, name) + ": cannot create attribute");
  const auto pointers = pointers_of(values);
  if (!values.empty() && H5Awrite(attr, type, pointers.data()) < 0) {
    fail(attr_where(object, name) + ": cannot write attribute");
  }
}

std::vector<std::string> read_attr_strings(hid_t object, const std::string& name) {
  const std::string what = attr_where(object, name);
  if (!has_attr(object, name)) fail(what + ": missing attribute");
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, what + ": cannot open");
  Handle stored(H5Aget_type(attr), H5Tclose, what + ": no type");
  require_variable_string(stored, what);
  Handle space(H5Aget_space(attr), H5Sclose, what + ": no dataspace");
  const hssize_t count = element_count(space);
  if (count < 0) fail(what + ": bad dataspace");
  std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
  const Handle type = string_type();
  if (count > 0 && H5Aread(attr, type, pointers.data()) < 0) fail(what + ": cannot read");
  return take_strings(pointers, type, space);
}

void write_dataset_raw(hid_t parent, const std::string& name, hid_t type, const void* data,
                       const std::vector<hsize_t>& dims, bool compress) {
  const std::string what = where(parent, name);
  const Handle space = simple_space(dims);
  Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "property list");
  hsize_t count = 1;
  for (hsize_t d : dims) count *= d;
  if (compress && count > 0 && !dims.empty() && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    if (H5Pset_chunk(create, static_cast<int>(chunk.size()), chunk.data()) < 0 ||
        H5Pset_deflate(create, 4) < 0) {
      fail(what + ": cannot set up compression");
    }
  }
  Handle dataset(H5Dcreate2(parent, name.c_str(), type, space, H5P_DEFAULT, create, H5P_DEFAULT),
                 H5Dclose, what + ": cannot create dataset");
  // An empty dataset has nothing to write (and HDF5 refuses a null buffer).
  if (count > 0 && H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(what + ": cannot write dataset");
  }
}

std::vector<hsize_t> dataset_dims(hid_t parent, const std::string& name) {
  const std::string what = where(parent, name);
  if (!has_link(parent, name)) fail(what + ": missing dataset");
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, what + ": cannot open");
  Handle space(H5Dget_space(dataset), H5Sclose, what + ": no dataspace");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail(what + ": bad dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) {
    fail(what + ": bad dataspace");
  }
  return dims;
}

void read_dataset_raw(hid_t parent, const std::string& name, hid_t type, void* data) {
  const std::string what = where(parent, name);
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, what + ": cannot open");
  Handle space(H5Dget_space(dataset), H5Sclose, what + ": no dataspace");
  if (element_count(space) > 0 && H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(what + ": cannot read (corrupt or truncated data)");
  }
}

void write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  const auto pointers = pointers_of(values);
  write_dataset_raw(parent, name, string_type(), pointers.data(),
                    {static_cast<hsize_t>(values.size())}, false);
}

std::vector<std::string> read_strings(hid_t parent, const std::string& name, std::size_t length) {
  const std::string what = where(parent, name);
  if (!has_link(parent, name)) fail(what + ": missing dataset");
  Handle dataset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, what + ": cannot open");
  Handle stored(H5Dget_type(dataset), H5Tclose, what + ": no type");
  require_variable_string(stored, what);
  Handle space(H5Dget_space(dataset), H5Sclose, what + ": no dataspace");
  if (H5Sget_simple_extent_ndims(space) != 1 ||
      element_count(space) != static_cast<hssize_t>(length)) {
    fail(what + ": expected " + std::to_string(length) + " strings in one dimension");
  }
  std::vector<char*> pointers(length, nullptr);
  const Handle type = string_type();
  if (length > 0 && H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    fail(what + ": cannot read (corrupt or truncated data)");
  }
  return take_strings(pointers, type, space);
}

}  // namespace d2a::h5
