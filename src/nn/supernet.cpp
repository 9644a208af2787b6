#include "d2a/nn/supernet.h"

#include <torch/torch.h>

#include "d2a/named_factory.h"
#include "d2a/nn/darts_supernet.h"
#include "d2a/nn/nb201_supernet.h"

namespace d2a {
namespace {

using SupernetMaker = std::shared_ptr<Supernet> (*)(const SupernetOptions&);

std::shared_ptr<Supernet> make_nb201_supernet(const SupernetOptions& options) {
  return Nb201Supernet(options).ptr();
}

// The spaces by name, in the order --help lists them.
const NameTable<SupernetMaker>& supernet_makers() {
  static const NameTable<SupernetMaker> makers = {
      {"nb201", make_nb201_supernet},
      {"darts", make_darts_supernet},
  };
  return makers;
}

}  // namespace

std::shared_ptr<Supernet> make_supernet(std::string_view space, const SupernetOptions& options) {
  return find_by_name(supernet_makers(), space, "search space")(options);
}

std::vector<std::string> supernet_space_names() { return names_of(supernet_makers()); }

}  // namespace d2a
