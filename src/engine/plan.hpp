// The plan of one signing run: the artifact's tree of files, each matched to the configuration
// element that governs it, with its format opened and its directives turned into methods.
// Everything that can be wrong with a run is found while planning, before any signature is made.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "formats/format.hpp"
#include "io/file.hpp"
#include "methods/method.hpp"

namespace signet::engine {

struct AddedFile {
  std::string path;     // full path inside the enclosing container
  size_t method_index;  // which of the node's methods produces it
};

struct Node {
  std::string path;        // display path: "outer.zip/inner.zip/a.bin" (root: the input file's name)
  std::string name;        // base name, for ${file.name}
  size_t entry_index = 0;  // index in the parent container's entries
  const config::Element* element = nullptr;  // null: not matched, left unchanged
  const formats::Format* format = nullptr;
  io::SourcePtr bytes;
  std::unique_ptr<formats::OpenedFile> opened;
  std::vector<std::unique_ptr<methods::Method>> methods;
  std::vector<AddedFile> added;   // detached/enveloped outputs, added to the parent container
  std::vector<Node> children;     // matched entries of a container (in entry order)
  std::vector<size_t> unmatched;  // entries of a container no element matched
  bool changes = false;           // this node's bytes change (embedded method, or a changed/added child)

  // Filled while executing, for the report.
  struct Applied {
    std::string directive;
    std::string description;
    std::string output;  // added file's path, for detached/enveloped methods
  };
  std::vector<Applied> applied;
  std::string sha256_before;
  std::string sha256_after;
};

struct Keys {
  crypto::SignerPtr x509;
  std::shared_ptr<const crypto::openpgp::SecretKey> pgp;
  std::vector<std::string> timestamp_urls;
  std::vector<crypto::CertDer> trust_anchors;  // --trust: for authenticode-verify
};

struct PlanOptions {
  formats::Limits limits;
  bool check_keys = true;         // sign: every method's key must be present
  bool require_supported = true;  // sign: unsupported formats/directives are errors
};

// Builds the plan. Throws io::ErrorList with every problem found (match counts, restrictions,
// unsupported elements, missing keys, hostile containers), each naming the element and its line;
// with `problems` given, they are returned there instead (inspect shows the tree and them).
Node build_plan(const config::ArtifactConfiguration& config, io::SourcePtr input,
                const std::string& input_name, const Keys& keys, const PlanOptions& options,
                std::vector<io::Error>* problems = nullptr);

}  // namespace signet::engine
